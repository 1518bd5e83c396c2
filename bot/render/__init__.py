"""Domain results to text and inline keyboards, in the person's language. The only place that
knows how a card looks; flows/ returns data, this turns it into what Telegram shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render import screening as screening_cards
from flows import views
from flows.availability import Status
from flows.escalation import QueueEntry
from flows.people import PersonView
from flows.roster import ShiftView
from flows.views import ConsultationView
from flows.vocabulary import Category, Outcome, Presence, Role, Urgency

PersonButton = Callable[[int, int], str]


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def label(lang: str, kind: str, value: str | None) -> str:
    return t(lang, f"{kind}.{value}") if value else "—"


def person_name(person: PersonView | None) -> str:
    """How a person is named in every message: their name as enrolled, which already carries
    any title ("Agent Julie Tremblay"), so no sentence adds a role word in front of it."""
    return person.display_name if person is not None else "—"


def category_prompt(lang: str, c: ConsultationView) -> Rendered:
    rows = []
    cats = list(Category)
    for i in range(0, len(cats), 2):
        rows.append(
            [
                InlineKeyboardButton(
                    label(lang, "category", v), callback_data=callbacks.category(c.id, v)
                )
                for v in cats[i : i + 2]
            ]
        )
    return Rendered(t(lang, "consult.choose_category", ref=c.reference), InlineKeyboardMarkup(rows))


def urgency_prompt(lang: str, c: ConsultationView) -> Rendered:
    rows = [
        [InlineKeyboardButton(label(lang, "urgency", v), callback_data=callbacks.urgency(c.id, v))]
        for v in Urgency
    ]
    text = t(
        lang,
        "consult.choose_urgency",
        ref=c.reference,
        category=label(lang, "category", c.category),
    )
    text += "\n" + t(lang, "subject.urgency_hint")  # the optional subject key, typed first
    return Rendered(text, InlineKeyboardMarkup(rows))


def request_summary(lang: str, c: ConsultationView) -> str:
    """The request as chosen, shown in place of the buttons once the officer has chosen."""
    return t(
        lang,
        "consult.summary",
        ref=c.reference,
        category=label(lang, "category", c.category),
        urgency=label(lang, "urgency", c.urgency),
    )


def offer_card(
    lang: str,
    c: ConsultationView,
    tier: int = 1,
    at_capacity: bool = False,
    window_ran_out: bool = True,
    screening: list[dict[str, Any]] | None = None,
    area: list[float] | None = None,
) -> Rendered:
    text = _card_text(lang, c)
    if area:
        text += "\n" + t(lang, "location.card_area", lat=f"{area[0]:.2f}", lon=f"{area[1]:.2f}")
    if screening:
        text += "\n\n" + screening_cards.answer_lines(lang, screening)
    if tier >= 2:
        why = "offer.escalated" if window_ran_out else "offer.escalated_nobody_free"
        text = t(lang, why) + "\n" + text
    if at_capacity:
        text += "\n\n" + t(lang, "offer.at_capacity")
    buttons = [
        InlineKeyboardButton(t(lang, "offer.accept_button"), callback_data=callbacks.accept(c.id)),
        InlineKeyboardButton(
            t(lang, "offer.decline_button"), callback_data=callbacks.decline(c.id)
        ),
    ]
    return Rendered(text, InlineKeyboardMarkup([buttons]))


def request_rest(c: ConsultationView) -> str:
    """The officer's words that did not fit on the card ('' when all did): whoever holds the
    consultation receives them right after it (bot/handlers/relay.py)."""
    return views.request_rest(c)


def _card_text(lang: str, c: ConsultationView) -> str:
    words = c.request_text or t(lang, "offer.no_text")
    if request_rest(c):
        words = words[: views.CARD_PREVIEW] + "…"
    return t(
        lang,
        "offer.card",
        ref=c.reference,
        category=label(lang, "category", c.category),
        urgency=label(lang, "urgency", c.urgency),
        officer=person_name(c.officer),
        text=words,
    )


def offer_taken_card(lang: str, c: ConsultationView, taker: str) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.taken_by", worker=taker))


def offer_mine_card(lang: str, c: ConsultationView) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.taken_by_you"))


def offer_withdrawn_card(lang: str, c: ConsultationView) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.withdrawn"))


def offer_declined_card(lang: str, c: ConsultationView) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.declined"))


def handed_over_card(lang: str, c: ConsultationView, note: str | None, by: str) -> str:
    """What the new holder of a transferred or reassigned consultation receives."""
    text = t(lang, "handover.received", ref=c.reference, by=by) + "\n\n" + _card_text(lang, c)
    if note:
        text += "\n\n" + t(lang, "handover.note", note=note)
    return text


def taken_over_card(lang: str, c: ConsultationView) -> str:
    """What a supervisor who takes a consultation over receives: it is theirs, and the
    request (they may never have seen its card)."""
    intro = t(lang, "accept.intro", ref=c.reference, officer=person_name(c.officer))
    return intro + "\n\n" + _card_text(lang, c)


def people_choice(
    lang: str, key: str, c: ConsultationView, people: list[PersonView], encode: PersonButton
) -> Rendered:
    rows = [
        [InlineKeyboardButton(person_name(p), callback_data=encode(c.id, p.id))] for p in people
    ]
    return Rendered(t(lang, key, ref=c.reference), InlineKeyboardMarkup(rows))


def still_active_choice(lang: str, active: list[ConsultationView]) -> Rendered:
    """After /off with consultations in hand: transfer or close each, nothing orphaned."""
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "availability.transfer_button", ref=c.reference),
                callback_data=callbacks.transfer(c.id),
            ),
            InlineKeyboardButton(
                t(lang, "availability.close_button", ref=c.reference),
                callback_data=callbacks.close(c.id),
            ),
        ]
        for c in active
    ]
    refs = ", ".join(f"{c.reference} ({person_name(c.officer)})" for c in active)
    return Rendered(t(lang, "availability.still_active", refs=refs), InlineKeyboardMarkup(rows))


def queue_text(lang: str, entries: list[QueueEntry], now: datetime) -> str:
    if not entries:
        return t(lang, "queue.empty")
    lines = [t(lang, "queue.title", count=len(entries))]
    for e in entries:
        c = e.consultation
        minutes = max(int((now - e.waiting_since).total_seconds() // 60), 0)
        lines.append(
            t(
                lang,
                "queue.line",
                ref=c.reference,
                urgency=label(lang, "urgency", c.urgency),
                category=label(lang, "category", c.category),
                minutes=minutes,
                tier=c.tier,
                officer=person_name(c.officer),
            )
        )
    return "\n".join(lines)


def outcome_prompt(lang: str, c: ConsultationView) -> Rendered:
    rows = [
        [InlineKeyboardButton(label(lang, "outcome", v), callback_data=callbacks.outcome(c.id, v))]
        for v in Outcome
    ]
    return Rendered(t(lang, "close.pick_outcome", ref=c.reference), InlineKeyboardMarkup(rows))


def close_choice(lang: str, choices: list[ConsultationView]) -> Rendered:
    rows = [
        [
            InlineKeyboardButton(
                f"{c.reference} · {person_name(c.officer)}", callback_data=callbacks.close(c.id)
            )
        ]
        for c in choices
    ]
    return Rendered(t(lang, "close.choose"), InlineKeyboardMarkup(rows))


def language_prompt() -> Rendered:
    rows = [
        [
            InlineKeyboardButton("Français", callback_data=callbacks.language("fr")),
            InlineKeyboardButton("English", callback_data=callbacks.language("en")),
        ]
    ]
    return Rendered(
        t("fr", "lang.choose") + " / " + t("en", "lang.choose"), InlineKeyboardMarkup(rows)
    )


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def takeover_buttons(lang: str, waiting: list[ConsultationView]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "queue.takeover_button", ref=c.reference),
                callback_data=callbacks.take_over(c.id),
            )
        ]
        for c in waiting[:20]
    ]
    return InlineKeyboardMarkup(rows)


def presence_set(lang: str, presence: Presence, until: datetime | None, zone: ZoneInfo) -> str:
    """/on or /off confirmed, with when the roster takes over again."""
    text = t(lang, "availability.on" if presence == Presence.ON else "availability.off")
    if until is not None:
        text += " " + t(lang, "availability.until", until=local_time(until, zone))
    return text


def status_text(lang: str, role: Role, status: Status) -> str:
    """/status: available or not (a worker), then the consultations in hand."""
    active = status.active
    refs = ", ".join(f"{c.reference} ({person_name(c.officer)})" for c in active)
    if not active:
        held = t(lang, "availability.none_active")
    elif role == Role.SUPERVISOR:
        held = t(lang, "availability.held", refs=refs, count=len(active))
    else:
        held = t(
            lang, "availability.active", refs=refs, count=len(active), capacity=status.capacity
        )
    if role == Role.SUPERVISOR or status.available is None:
        return held
    state = t(lang, "availability.status_on" if status.available else "availability.status_off")
    return state + "\n" + held


def welcome(lang: str, person: PersonView, already: bool) -> str:
    """An invite redeemed: welcome by role, or the word that the code was not used."""
    if already:
        return t(lang, "enrol.already", role=label(lang, "role", person.role))
    return t(lang, f"enrol.welcome.{person.role.value}", name=person.display_name)


def help_text(person: PersonView) -> str:
    """/help, /start alone and any unknown command: what this person can do."""
    lang = person.language
    text = t(lang, f"help.{person.role.value}", name=person.display_name)
    text += "\n" + t(lang, "resources.help")
    if person.role == Role.SUPERVISOR:
        text += "\n" + t(lang, "resources.help_reload")
    if person.role != Role.OFFICER:
        text += "\n" + t(lang, "followup.help")
        text += "\n" + t(lang, "subject.help")
    else:
        text += "\n" + t(lang, "subject.help_officer")
    help_p38 = "assessment.help_officer" if person.role == Role.OFFICER else "assessment.help"
    text += "\n" + t(lang, help_p38)  # P-38.001 assessments and timelines (issue 11)
    text += "\n" + t(lang, "call.help")
    if person.role == Role.OFFICER:  # reports (issue 12)
        text += "\n" + t(lang, "incident.help")
    if person.role == Role.SUPERVISOR:
        text += "\n" + t(lang, "stats.help")
    return text


def roster_text(lang: str, shifts: list[ShiftView], title: str = "roster.title") -> str:
    """/shifts: one line per weekly slot (who, when, on call), or the word that it is empty."""
    if not shifts:
        return t(lang, "roster.empty")
    lines = [t(lang, title)]
    for s in shifts:
        key = "roster.line_on_call" if s.on_call else "roster.line"
        day = t(lang, f"day.{s.day}")
        lines.append(
            t(
                lang,
                key,
                id=s.id,
                day=day,
                starts=s.starts,
                ends=s.ends,
                name=s.person_name,
                person=s.person_id,
            )
            + (t(lang, "roster.revoked_mark") if s.revoked else "")
        )
    revoked = sum(1 for s in shifts if s.revoked)
    if revoked:  # still roster rows (their ids are here to remove them); routing skips them
        lines.append(t(lang, "roster.revoked_note", count=revoked))
    return "\n".join(lines)


def roster_usage(lang: str) -> str:
    return t(lang, "roster.usage")
