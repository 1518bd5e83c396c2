"""People seen before, as text and buttons: the history block of an offer card, the care plan,
a person's case, the recurring list, the officer's optional subject-key question. Dates are
shown in the service's zone; a person is named by their case reference (P-0007), never by
anything the officer typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render import Rendered, label, person_name, request_summary
from flows.cases import CARE_PLAN_FIELDS, CarePlanView, CaseFollowUp, CaseLine
from flows.people import PersonView
from flows.subjects import RecurringEntry, SubjectHistory
from flows.views import ConsultationView


def _day(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d") if value is not None else "—"


def _yes_no(lang: str, value: bool) -> str:
    return t(lang, "subject.yes" if value else "subject.no")


def _categories(lang: str, values: list[str]) -> str:
    return ", ".join(label(lang, "category", v) for v in values) or "—"


def history_block(lang: str, h: SubjectHistory) -> str:
    """What the worker knows at a glance: how often, the last time, who, a care plan."""
    zone = ZoneInfo(h.zone)
    if h.count == 0:
        lines = [t(lang, "subject.history_none", ref=h.reference)]
    else:
        lines = [t(lang, "subject.history_title", ref=h.reference, count=h.count)]
        lines.append(
            t(
                lang,
                "subject.history_last",
                date=_day(h.last_at, zone),
                category=label(lang, "category", h.last_category),
                outcome=label(lang, "outcome", h.last_outcome),
                followup=t(lang, f"subject.followup_{h.last_followup or 'none'}"),
                handler=h.last_handler or "—",
            )
        )
    if h.recurring:
        lines.append(t(lang, "subject.recurring", count=h.recent, days=h.recurring_days))
    lines.append(
        t(lang, "subject.case_line", owner=h.owner or "—", plan=_yes_no(lang, h.care_plan))
    )
    return "\n".join(lines)


def with_history(text: str, lang: str, history: SubjectHistory | None) -> str:
    return f"{text}\n\n{history_block(lang, history)}" if history is not None else text


def summary_with_key_question(lang: str, c: ConsultationView) -> Rendered:
    """The officer's request summary, with the optional subject key asked and one-tap skip."""
    text = request_summary(lang, c) + "\n\n" + t(lang, "subject.ask_key")
    button = InlineKeyboardButton(
        t(lang, "subject.skip_button"), callback_data=callbacks.subject_skip(c.id)
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def care_plan(
    lang: str,
    reference: str,
    plan: CarePlanView | None,
    zone: ZoneInfo,
    editable: bool,
    subject_id: int | None = None,
    consultation: str | None = None,
) -> Rendered:
    """The plan's four parts and who wrote this version when; its owner's edit buttons."""
    if plan is None:
        text = t(lang, "careplan.none", ref=reference)
    else:
        head = t(
            lang,
            "careplan.title",
            ref=reference,
            version=plan.version,
            author=plan.author,
            at=plan.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        changed = [p for p in plan.changed.split(",") if p in CARE_PLAN_FIELDS]
        if changed:
            parts_changed = ", ".join(t(lang, f"careplan.part.{p}") for p in changed)
            head += " · " + t(lang, "careplan.changed", parts=parts_changed)
        if consultation:
            head = t(lang, "careplan.for_handler", consultation=consultation) + "\n" + head
        parts = [
            f"{t(lang, f'careplan.part.{name}')}: {getattr(plan, name) or '—'}"
            for name in CARE_PLAN_FIELDS
        ]
        text = "\n".join([head, *parts])
    if not editable or subject_id is None:
        return Rendered(text)
    buttons = [
        InlineKeyboardButton(
            t(lang, "careplan.edit_button", part=t(lang, f"careplan.part.{name}")),
            callback_data=callbacks.care_plan_edit(subject_id, name),
        )
        for name in CARE_PLAN_FIELDS
    ]
    return Rendered(text, InlineKeyboardMarkup([buttons[0:2], buttons[2:4]]))


def case(lang: str, p: dict[str, Any]) -> Rendered:
    """/case: history, the consultations, the follow-ups (aimed at whom), the buttons."""
    history: SubjectHistory = p["history"]
    zone = ZoneInfo(history.zone)
    lines = [t(lang, "case.title", ref=p["reference"]), history_block(lang, history)]
    consultations: list[CaseLine] = p["lines"]
    for c in consultations:
        lines.append(
            t(
                lang,
                "case.line",
                ref=c.reference,
                date=_day(c.at, zone),
                category=label(lang, "category", c.category),
                outcome=label(lang, "outcome", c.outcome),
                handler=c.handler or "—",
            )
        )
    followups: list[CaseFollowUp] = p["followups"]
    if followups:
        lines.append(t(lang, "case.followups_title"))
    for f in followups:
        lines.append(
            t(
                lang,
                "case.followup_line",
                ref=f.reference,
                due=_day(f.due_at, zone),
                aim=t(lang, f"case.aim.{f.aimed_at or 'none'}"),
                note=f.note or "—",
                state=t(lang, "case.followup_done" if f.done else "case.followup_pending"),
            )
        )
    sid = int(p["subject_id"])
    row = []
    if p["may_take"]:
        row.append(
            InlineKeyboardButton(
                t(lang, "case.take_button"), callback_data=callbacks.case_take(sid)
            )
        )
    if p["owner_is_me"]:
        row.append(
            InlineKeyboardButton(
                t(lang, "case.give_up_button"), callback_data=callbacks.case_give_up(sid)
            )
        )
    if p["may_hand"]:
        row.append(
            InlineKeyboardButton(
                t(lang, "case.hand_button"), callback_data=callbacks.case_hand(sid)
            )
        )
    row.append(
        InlineKeyboardButton(
            t(lang, "case.plan_button"), callback_data=callbacks.care_plan_show(sid)
        )
    )
    return Rendered("\n".join(lines), InlineKeyboardMarkup([row]))


def hand_choice(lang: str, reference: str, subject_id: int, people: list[PersonView]) -> Rendered:
    rows = [
        [
            InlineKeyboardButton(
                person_name(p), callback_data=callbacks.case_hand_to(subject_id, p.id)
            )
        ]
        for p in people
    ]
    if not rows:
        return Rendered(t(lang, "case.nobody_to_hand", ref=reference))
    return Rendered(t(lang, "case.hand_pick", ref=reference), InlineKeyboardMarkup(rows))


def recurring(
    lang: str, entries: list[RecurringEntry], count: int, days: int, zone: ZoneInfo
) -> str:
    if not entries:
        return t(lang, "recurring.empty", count=count, days=days)
    lines = [t(lang, "recurring.title", count=count, days=days, n=len(entries))]
    for e in entries:
        lines.append(
            t(
                lang,
                "recurring.line",
                ref=e.reference,
                count=e.count,
                date=_day(e.last_at, zone),
                categories=_categories(lang, e.categories),
                owner=e.owner or "—",
                plan=_yes_no(lang, e.care_plan),
            )
        )
    lines.append(t(lang, "recurring.hint"))
    return "\n".join(lines)


def aim_buttons(lang: str, followup_id: int) -> list[InlineKeyboardButton]:
    """Under a planned follow-up: it is a call to the person, or to their family."""
    return [
        InlineKeyboardButton(
            t(lang, f"followup.aim_{aim}_button"),
            callback_data=callbacks.followup_aim(followup_id, aim),
        )
        for aim in ("person", "family")
    ]
