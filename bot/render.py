"""Domain results to text and inline keyboards, in the person's language. The only place that
knows how a card looks; flows/ returns data, this turns it into what Telegram shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from flows.consultations import ConsultationView
from flows.vocabulary import Category, Outcome, Urgency

CARD_TEXT_PREVIEW = 3000  # the officer's words on a card; the rest arrives as a relayed message


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def label(lang: str, kind: str, value: str | None) -> str:
    return t(lang, f"{kind}.{value}") if value else "—"


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


def offer_card(lang: str, c: ConsultationView) -> Rendered:
    text = _card_text(lang, c)
    button = InlineKeyboardButton(
        t(lang, "offer.accept_button"), callback_data=callbacks.accept(c.id)
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def _card_text(lang: str, c: ConsultationView) -> str:
    words = c.request_text or t(lang, "offer.no_text")
    if len(words) > CARD_TEXT_PREVIEW:
        words = words[:CARD_TEXT_PREVIEW] + "…"
    return t(
        lang,
        "offer.card",
        ref=c.reference,
        category=label(lang, "category", c.category),
        urgency=label(lang, "urgency", c.urgency),
        officer=c.officer.display_name,
        text=words,
    )


def offer_taken_card(lang: str, c: ConsultationView, taker: str) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.taken_by", worker=taker))


def offer_mine_card(lang: str, c: ConsultationView) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.taken_by_you"))


def offer_withdrawn_card(lang: str, c: ConsultationView) -> Rendered:
    return Rendered(_card_text(lang, c) + "\n\n" + t(lang, "offer.withdrawn"))


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
                f"{c.reference} · {c.officer.display_name}", callback_data=callbacks.close(c.id)
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
