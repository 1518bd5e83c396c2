"""Screening at the scene: the officer's yes/no question (with one tap to skip the rest), the
answers as lines on an offer card, and the holder's line when answers come after the accept.
Question texts come from the screening file in both languages (kept in each answer's event),
the rest from the catalogs."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import t


def question(lang: str, p: dict[str, Any], cid: int) -> tuple[str, InlineKeyboardMarkup]:
    """'C-0001 · question 1 of 4 (optional): …?' with Yes, No and Skip."""
    text = t(
        lang, "screening.question", ref=p["reference"], n=int(p["index"]) + 1, total=p["total"],
        question=_text(lang, p),
    )  # fmt: skip
    index = int(p["index"])
    answer = callbacks.SCREEN_ANSWER.data
    rows = [
        [
            InlineKeyboardButton(
                t(lang, "screening.yes"), callback_data=answer(cid, index * 2 + 1)
            ),
            InlineKeyboardButton(t(lang, "screening.no"), callback_data=answer(cid, index * 2)),
        ],
        [
            InlineKeyboardButton(
                t(lang, "screening.skip"), callback_data=callbacks.SCREEN_SKIP.data(cid)
            )
        ],
    ]
    return text, InlineKeyboardMarkup(rows)


def answer_lines(lang: str, answers: list[dict[str, Any]]) -> str:
    """One line per answer, 'yes' first in bold words: what matters on a card at a glance."""
    if not answers:
        return ""
    lines = [t(lang, "screening.card_title")]
    for a in answers:
        said = t(lang, "screening.yes" if a["yes"] else "screening.no")
        lines.append(t(lang, "screening.card_line", question=_text(lang, a), answer=said))
    return "\n".join(lines)


def holder_update(lang: str, reference: str, answers: list[dict[str, Any]]) -> str:
    return t(lang, "screening.holder_update", ref=reference) + "\n" + answer_lines(lang, answers)


def _text(lang: str, p: dict[str, Any]) -> str:
    return str(p["en"] if lang == "en" else p["fr"])
