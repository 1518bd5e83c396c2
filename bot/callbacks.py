"""Compact, validated callback_data: an action code and integer ids, well under Telegram's
64 bytes. Anything that does not decode exactly is treated as forged and refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from flows.directory import CATEGORIES as RESOURCE_CATEGORIES
from flows.vocabulary import Category, Outcome, Plan, Snooze, Urgency

MAX_BYTES = 64
_PATTERN = re.compile(r"^([a-z]):(\d{1,12})(?::(\d{1,12}))?$")


class Action(StrEnum):
    CATEGORY = "c"  # consultation id, category index
    URGENCY = "u"  # consultation id, urgency index
    ACCEPT = "a"  # consultation id
    OUTCOME = "o"  # consultation id, outcome index
    CLOSE = "x"  # consultation id
    LANGUAGE = "l"  # 0 = fr, 1 = en
    DECLINE = "d"  # consultation id
    TRANSFER = "t"  # consultation id: pick who to hand it to
    TRANSFER_TO = "g"  # consultation id, person id
    REASSIGN_TO = "r"  # consultation id, person id (supervisors)
    TAKE_OVER = "k"  # consultation id (supervisors)
    RESOURCE = "e"  # directory position, resource checksum: details
    MORE = "m"  # saved search id, offset: the next page
    BROWSE = "b"  # directory category index
    OPEN_NOW = "h"  # saved search id, 1 = open now only / 0 = open or not
    REFER = "p"  # directory position, resource checksum: send to an officer
    REFER_TO = "q"  # consultation id, pending referral token
    FOLLOWUP_PLAN = "f"  # consultation id, plan index
    FOLLOWUP_NO_NOTE = "n"  # follow-up id
    FOLLOWUP_DONE = "v"  # follow-up id
    FOLLOWUP_SNOOZE = "s"  # follow-up id, snooze index
    FOLLOWUP_REASSIGN = "w"  # follow-up id: pick who
    FOLLOWUP_REASSIGN_TO = "y"  # follow-up id, person id (0 = the pool)


CATEGORIES = list(Category)
URGENCIES = list(Urgency)
OUTCOMES = list(Outcome)
LANGUAGE_CHOICES = ["fr", "en"]
_CHOICES: dict[Action, list[object]] = {
    Action.CATEGORY: list(CATEGORIES),
    Action.URGENCY: list(URGENCIES),
    Action.OUTCOME: list(OUTCOMES),
    Action.FOLLOWUP_PLAN: list(Plan),
    Action.FOLLOWUP_SNOOZE: list(Snooze),
    Action.OPEN_NOW: [False, True],
}


_PERSON_CHOICE = (Action.TRANSFER_TO, Action.REASSIGN_TO, Action.FOLLOWUP_REASSIGN_TO)
_FREE_CHOICE = (Action.RESOURCE, Action.MORE, Action.REFER, Action.REFER_TO)


@dataclass(frozen=True)
class Callback:
    action: Action
    target: int
    choice: int | None = None

    def encode(self) -> str:
        data = f"{self.action.value}:{self.target}"
        if self.choice is not None:
            data += f":{self.choice}"
        assert len(data.encode()) <= MAX_BYTES
        return data

    def chosen(self) -> object:
        """The enum member the choice index designates (decode() guarantees it exists)."""
        assert self.choice is not None
        return _CHOICES[self.action][self.choice]


def decode(data: str | None) -> Callback | None:
    """The callback, or None when the data is malformed, unknown or out of range."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    match = _PATTERN.match(data)
    if match is None:
        return None
    try:
        action = Action(match.group(1))
    except ValueError:
        return None
    target = int(match.group(2))
    choice = int(match.group(3)) if match.group(3) is not None else None
    needs_choice = action in _CHOICES or action in _PERSON_CHOICE or action in _FREE_CHOICE
    if needs_choice != (choice is not None):
        return None
    if choice is not None and action in _CHOICES and choice >= len(_CHOICES[action]):
        return None
    if action == Action.LANGUAGE and target >= len(LANGUAGE_CHOICES):
        return None
    if action == Action.BROWSE and target >= len(RESOURCE_CATEGORIES):
        return None
    return Callback(action, target, choice)


def category(consultation_id: int, value: Category) -> str:
    return Callback(Action.CATEGORY, consultation_id, CATEGORIES.index(value)).encode()


def urgency(consultation_id: int, value: Urgency) -> str:
    return Callback(Action.URGENCY, consultation_id, URGENCIES.index(value)).encode()


def outcome(consultation_id: int, value: Outcome) -> str:
    return Callback(Action.OUTCOME, consultation_id, OUTCOMES.index(value)).encode()


def accept(consultation_id: int) -> str:
    return Callback(Action.ACCEPT, consultation_id).encode()


def close(consultation_id: int) -> str:
    return Callback(Action.CLOSE, consultation_id).encode()


def language(code: str) -> str:
    return Callback(Action.LANGUAGE, LANGUAGE_CHOICES.index(code)).encode()


def decline(consultation_id: int) -> str:
    return Callback(Action.DECLINE, consultation_id).encode()


def transfer(consultation_id: int) -> str:
    return Callback(Action.TRANSFER, consultation_id).encode()


def transfer_to(consultation_id: int, person_id: int) -> str:
    return Callback(Action.TRANSFER_TO, consultation_id, person_id).encode()


def reassign_to(consultation_id: int, person_id: int) -> str:
    return Callback(Action.REASSIGN_TO, consultation_id, person_id).encode()


def take_over(consultation_id: int) -> str:
    return Callback(Action.TAKE_OVER, consultation_id).encode()


def resource(position: int, checksum: int) -> str:
    return Callback(Action.RESOURCE, position, checksum).encode()


def more(search_id: int, offset: int) -> str:
    return Callback(Action.MORE, search_id, offset).encode()


def open_now(search_id: int, only_open: bool) -> str:
    """The saved search again, open services only (True) or open or not (False)."""
    return Callback(Action.OPEN_NOW, search_id, int(only_open)).encode()


def browse(category: str) -> str:
    return Callback(Action.BROWSE, RESOURCE_CATEGORIES.index(category)).encode()


def refer(position: int, checksum: int) -> str:
    return Callback(Action.REFER, position, checksum).encode()


def refer_to(consultation_id: int, token: int) -> str:
    return Callback(Action.REFER_TO, consultation_id, token).encode()


def followup_plan(consultation_id: int, value: Plan) -> str:
    return Callback(Action.FOLLOWUP_PLAN, consultation_id, list(Plan).index(value)).encode()


def followup_no_note(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_NO_NOTE, followup_id).encode()


def followup_done(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_DONE, followup_id).encode()


def followup_snooze(followup_id: int, value: Snooze) -> str:
    return Callback(Action.FOLLOWUP_SNOOZE, followup_id, list(Snooze).index(value)).encode()


def followup_reassign(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_REASSIGN, followup_id).encode()


def followup_reassign_to(followup_id: int, person_id: int | None) -> str:
    """person_id None: back to the pool (encoded 0; person ids start at 1)."""
    return Callback(Action.FOLLOWUP_REASSIGN_TO, followup_id, person_id or 0).encode()
