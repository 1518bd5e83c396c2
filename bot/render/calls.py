"""Call me / I'm calling you: the two buttons on a consultation, the request the other side
receives (the number as text: Telegram shows a phone number as a tap-to-call link), and the
request-contact keyboard a person uses to give the bot their own number."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import callbacks
from bot.i18n import t
from flows.views import ConsultationView


def call_buttons(lang: str, consultation_id: int) -> list[InlineKeyboardButton]:
    """One row: ask to be called, or say you are calling."""
    return [
        InlineKeyboardButton(
            t(lang, "call.button_call_me"), callback_data=callbacks.CALL_ME.data(consultation_id)
        ),
        InlineKeyboardButton(
            t(lang, "call.button_calling"),
            callback_data=callbacks.CALLING_NOW.data(consultation_id),
        ),
    ]


def call_keyboard(lang: str, consultation_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([call_buttons(lang, consultation_id)])


def without_calls(
    markup: InlineKeyboardMarkup, consultation_id: int
) -> InlineKeyboardMarkup | None:
    """A message's buttons once its consultation is closed: the call pair can never work
    again, the others (scene cleared...) still can. None: no buttons left."""
    dead = {callbacks.CALL_ME.data(consultation_id), callbacks.CALLING_NOW.data(consultation_id)}
    rows = [[b for b in row if b.callback_data not in dead] for row in markup.inline_keyboard]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


def call_request(
    lang: str, c: ConsultationView, requester: str, number: str
) -> tuple[str, InlineKeyboardMarkup]:
    """What the other side reads when someone presses "Call me", with the answer button."""
    text = t(lang, "call.request", ref=c.reference, name=requester, number=number)
    button = InlineKeyboardButton(
        t(lang, "call.button_calling"), callback_data=callbacks.CALLING_NOW.data(c.id)
    )
    return text, InlineKeyboardMarkup([[button]])


def phone_request(lang: str) -> tuple[str, ReplyKeyboardMarkup]:
    """/phone: why the bot asks, and the one button that shares the person's own number
    (Telegram asks them to confirm; nothing is taken without that press)."""
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "phone.share_button"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return t(lang, "phone.ask"), keyboard
