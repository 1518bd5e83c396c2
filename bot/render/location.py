"""Where the scene is: the one-tap invitation to share it (Telegram's location button, which
asks the officer to confirm), and how its area reads on a card."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import t


def invite(lang: str, reference: str) -> tuple[str, ReplyKeyboardMarkup]:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "location.button"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return t(lang, "location.invite", ref=reference), keyboard
