"""The buttons put under a catalog sentence when a use case names them (`Outbox.say(buttons=)`):
the officer's for the police side of a consultation (incident number, scene cleared, the
calls), and a holder's choice for a line held (pass it on, or it answers the bot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t
from bot.render.calls import call_buttons

Keyboard = Callable[[str, int], InlineKeyboardMarkup]


def _scene(lang: str, consultation_id: int) -> InlineKeyboardMarkup:
    """On the accept message: the incident number and scene cleared, then Call me / I'm
    calling you (the worker's introduction has the same pair)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "incident.button"),
                    callback_data=callbacks.INCIDENT_NUMBER.data(consultation_id),
                ),
                InlineKeyboardButton(
                    t(lang, "scene.button"),
                    callback_data=callbacks.SCENE_CLEARED.data(consultation_id),
                ),
            ],
            call_buttons(lang, consultation_id),
        ]
    )


def _scene_cleared(lang: str, consultation_id: int) -> InlineKeyboardMarkup:
    """At close, when the scene is not cleared yet."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "scene.button"),
                    callback_data=callbacks.SCENE_CLEARED.data(consultation_id),
                )
            ]
        ]
    )


def _held_line(lang: str, line: int) -> InlineKeyboardMarkup:
    """Under the question a held line raises: pass it on to the officer, or it answers
    (line: the held line's first message id, so a tap settles that line and no other)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "held.pass_on_button"),
                    callback_data=callbacks.HELD_LINE.data(line, True),
                ),
                InlineKeyboardButton(
                    t(lang, "held.answer_button"),
                    callback_data=callbacks.HELD_LINE.data(line, False),
                ),
            ]
        ]
    )


KEYBOARDS: dict[str, Keyboard] = {
    "scene": _scene,
    "scene_cleared": _scene_cleared,
    "held_line": _held_line,
}


def say_keyboard(lang: str, named: Any) -> InlineKeyboardMarkup | None:
    """The keyboard a SAY notice names ([name, target id]), or none."""
    if not named:
        return None
    name, target = named
    return KEYBOARDS[str(name)](lang, int(target))
