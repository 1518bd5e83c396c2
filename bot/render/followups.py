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
from flows.digests import Digest, Summary
from flows.followups import LIST_LIMIT, FollowUpView, listed
from flows.people import PersonView
from flows.reminders import Reminder
from flows.views import ConsultationView
from flows.vocabulary import Plan, Snooze

REQUEST_PREVIEW = 300
OVERDUE_LIMIT = 200  # one message (the sender splits it), for supervisors


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
    return Rendered(text, InlineKeyboardMarkup([[button]]))


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


def _line(lang: str, key: str, f: FollowUpView, zone: ZoneInfo) -> str:
    return _row(lang, key, listed(f), zone)


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
    lines = [t(lang, "followup.digest_title", name=person_name(d.person)), ""]
    lines.append(t(lang, "followup.digest_open", count=len(d.open_consultations)))
    for c in d.open_consultations:
        lines.append(
            t(lang, "followup.digest_open_line", ref=c.reference, officer=person_name(c.officer))
        )
    lines.append(t(lang, "followup.digest_waiting", count=d.waiting))
    for key, items in (
        ("followup.digest_due_today", d.due_today),
        ("followup.digest_overdue", d.overdue),
    ):
        lines += ["", t(lang, key, count=len(items))]
        for f in items[:LIST_LIMIT]:
            lines.append(
                t(
                    lang,
                    "followup.digest_line",
                    ref=f.consultation.reference,
                    due=local_time(f.due_at, zone),
                    note=_note(f),
                )
            )
    return "\n".join(lines)


def summary(lang: str, s: Summary) -> str:
    return t(
        lang,
        "followup.summary",
        waiting=s.waiting,
        active=s.active,
        due_today=s.due_today,
        done_yesterday=s.done_yesterday,
        overdue=len(s.overdue),
    )


def overdue_list(lang: str, items: list[FollowUpView], zone: ZoneInfo, grace_hours: int) -> str:
    lines = [t(lang, "followup.overdue_title", hours=grace_hours)]
    lines += [_line(lang, "followup.overdue_line", f, zone) for f in items[:OVERDUE_LIMIT]]
    return "\n".join(lines)
