"""Follow-ups as text and keyboards: the closing question, the planned follow-up with its
no-note button, their one-line news (times in the service's zone), the reminder with its
buttons, the choice of assignee, the lists, the shift handover digest and the supervisors'
summary. bot/render/notices.py calls these for the follow-up notices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render import Rendered, label, local_time, person_name
from bot.render import subjects as subject_cards
from flows.digests import OVERDUE_LIMIT, Digest, Summary, digest_params
from flows.followups import LIST_LIMIT, FollowUpView, listed
from flows.people import PersonView
from flows.reminders import Reminder
from flows.views import ConsultationView
from flows.vocabulary import Plan, Snooze

REQUEST_PREVIEW = 300


def plan_prompt(lang: str, c: ConsultationView) -> Rendered:
    def button(p: Plan) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            t(lang, f"followup.plan.{p.value}"), callback_data=callbacks.followup_plan(c.id, p)
        )

    rows = [
        [button(Plan.NONE)],
        [button(Plan.HOURS_24), button(Plan.DAYS_3), button(Plan.WEEK)],
        [button(Plan.CUSTOM)],
    ]
    return Rendered(t(lang, "followup.ask_plan", ref=c.reference), InlineKeyboardMarkup(rows))


def scheduled_prompt(
    lang: str, followup_id: int, reference: str, due_at: datetime, zone: ZoneInfo
) -> Rendered:
    """The follow-up is planned for its due time; a note is asked, or the no-note button."""
    button = InlineKeyboardButton(
        t(lang, "followup.no_note_button"), callback_data=callbacks.followup_no_note(followup_id)
    )
    text = t(lang, "followup.scheduled", ref=reference, due=local_time(due_at, zone))
    aims = subject_cards.aim_buttons(lang, followup_id)  # a call to the person or the family
    return Rendered(text, InlineKeyboardMarkup([[button], aims]))


def line(lang: str, key: str, values: Mapping[str, Any], zone: ZoneInfo) -> str:
    """One follow-up sentence by key; its times are shown in the service's zone."""
    shown = {k: local_time(v, zone) if isinstance(v, datetime) else v for k, v in values.items()}
    return t(lang, key, **shown)


def _note(f: FollowUpView) -> str:
    return f.note or "—"


def reminder(lang: str, r: Reminder, zone: ZoneInfo, late: bool = False) -> Rendered:
    f, c = r.followup, r.followup.consultation
    request = c.request_text or "—"
    if len(request) > REQUEST_PREVIEW:
        request = request[:REQUEST_PREVIEW] + "…"
    summary = t(
        lang,
        "followup.summary_line",
        category=label(lang, "category", c.category),
        urgency=label(lang, "urgency", c.urgency),
        outcome=label(lang, "outcome", c.outcome),
        officer=person_name(c.officer),
    )
    text = t(
        lang,
        "followup.reminder",
        ref=c.reference,
        due=local_time(f.due_at, zone),
        summary=summary,
        request=request,
        note=_note(f),
    )
    if r.whose is not None:
        text += "\n\n" + t(lang, "followup.reminder_for", name=person_name(r.whose))
    if late:
        text += "\n" + t(lang, "followup.reminder_late")
    if r.repeat:
        text += "\n" + t(lang, "followup.reminder_repeat")
    return Rendered(text, reminder_keyboard(lang, f.id))


def reminder_keyboard(lang: str, followup_id: int) -> InlineKeyboardMarkup:
    def b(key: str, data: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(t(lang, key), callback_data=data)

    return InlineKeyboardMarkup(
        [
            [b("followup.done_button", callbacks.followup_done(followup_id))],
            [
                b("followup.snooze_1h_button", callbacks.followup_snooze(followup_id, Snooze.HOUR)),
                b(
                    "followup.snooze_morning_button",
                    callbacks.followup_snooze(followup_id, Snooze.MORNING),
                ),
                b(
                    "followup.snooze_custom_button",
                    callbacks.followup_snooze(followup_id, Snooze.CUSTOM),
                ),
            ],
            [b("followup.reassign_button", callbacks.followup_reassign(followup_id))],
        ]
    )


def assignee_choice(lang: str, f: FollowUpView, workers: list[PersonView]) -> Rendered:
    return assignees(lang, f.id, f.consultation.reference, workers)


def assignees(lang: str, followup_id: int, reference: str, workers: list[PersonView]) -> Rendered:
    """Whom to give the follow-up to: one button per worker, then the team's pool."""
    rows = [
        [
            InlineKeyboardButton(
                person_name(w), callback_data=callbacks.followup_reassign_to(followup_id, w.id)
            )
        ]
        for w in workers
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t(lang, "followup.pool_button"),
                callback_data=callbacks.followup_reassign_to(followup_id, None),
            )
        ]
    )
    text = t(lang, "followup.pick_assignee", ref=reference)
    return Rendered(text, InlineKeyboardMarkup(rows))


def pending_list(lang: str, items: list[FollowUpView], zone: ZoneInfo) -> str:
    return listing(lang, len(items), [listed(f) for f in items[:LIST_LIMIT]], zone)


def listing(lang: str, total: int, rows: list[Mapping[str, Any]], zone: ZoneInfo) -> str:
    """/followups: how many are pending, then one line each (rows are flows.followups.listed)."""
    if not total:
        return t(lang, "followup.list_empty")
    lines = [t(lang, "followup.list_title", count=total)]
    lines += [_row(lang, "followup.list_line", row, zone) for row in rows[:LIST_LIMIT]]
    return "\n".join(lines)


def _row(lang: str, key: str, row: Mapping[str, Any], zone: ZoneInfo) -> str:
    """One follow-up in a list: reference, due time, whose, note."""
    return t(
        lang,
        key,
        ref=row["reference"],
        due=local_time(row["due_at"], zone),
        who=row["assignee"] or t(lang, "followup.pool"),
        note=row["note"] or "—",
    )


def digest(lang: str, d: Digest, zone: ZoneInfo) -> str:
    return shift_digest(lang, digest_params(d, zone))


def shift_digest(lang: str, p: Mapping[str, Any]) -> str:
    """A worker's handover digest (the parameters of flows.digests.digest_params)."""
    zone = ZoneInfo(p["zone"])
    lines = [t(lang, "followup.digest_title", name=p["name"]), ""]
    lines.append(t(lang, "followup.digest_open", count=len(p["open_consultations"])))
    for c in p["open_consultations"]:
        lines.append(
            t(lang, "followup.digest_open_line", ref=c.reference, officer=person_name(c.officer))
        )
    lines.append(t(lang, "followup.digest_waiting", count=p["waiting"]))
    for key, rows, count in (
        ("followup.digest_due_today", p["due_today"], p["due_today_count"]),
        ("followup.digest_overdue", p["overdue"], p["overdue_count"]),
    ):
        lines += ["", t(lang, key, count=count)]
        for row in rows[:LIST_LIMIT]:
            lines.append(
                t(
                    lang,
                    "followup.digest_line",
                    ref=row["reference"],
                    due=local_time(row["due_at"], zone),
                    note=row["note"] or "—",
                )
            )
    return "\n".join(lines)


def summary(lang: str, s: Summary) -> str:
    return _figures(lang, s.waiting, s.active, s.due_today, s.done_yesterday, len(s.overdue))


def overdue_list(lang: str, items: list[FollowUpView], zone: ZoneInfo, grace_hours: int) -> str:
    rows = [listed(f) for f in items[:OVERDUE_LIMIT]]
    return _overdue(lang, rows, zone, grace_hours)


def daily_summary(lang: str, p: Mapping[str, Any]) -> list[str]:
    """The supervisors' summary, then the overdue list when there is one (two messages; the
    parameters of flows.digests.summary_params)."""
    figures = (p["waiting"], p["active"], p["due_today"], p["done_yesterday"], p["overdue_count"])
    texts = [_figures(lang, *figures)]
    if p["overdue_count"]:
        texts.append(_overdue(lang, p["overdue"], ZoneInfo(p["zone"]), p["grace_hours"]))
    return texts


def _figures(
    lang: str, waiting: int, active: int, due_today: int, done_yesterday: int, overdue: int
) -> str:
    return t(
        lang,
        "followup.summary",
        waiting=waiting,
        active=active,
        due_today=due_today,
        done_yesterday=done_yesterday,
        overdue=overdue,
    )


def _overdue(lang: str, rows: list[Mapping[str, Any]], zone: ZoneInfo, grace_hours: int) -> str:
    lines = [t(lang, "followup.overdue_title", hours=grace_hours)]
    lines += [_row(lang, "followup.overdue_line", row, zone) for row in rows[:OVERDUE_LIMIT]]
    return "\n".join(lines)
