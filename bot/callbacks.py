"""Every inline button, declared once: its action code, who may press it, what its second
field is (an index into its choices, a free integer, or nothing), and, through
`@BUTTON.handles` at the handler's definition, the handler a press goes to. The data is
compact (an action code and integer ids, well under Telegram's 64 bytes); anything that does
not decode exactly is treated as forged and refused."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flows.cases import AIMS, CARE_PLAN_FIELDS
from flows.directory import CATEGORIES as RESOURCE_CATEGORIES
from flows.vocabulary import Category, Danger, Decision, Outcome, Plan, Role, Snooze, Urgency

MAX_BYTES = 64
_PATTERN = re.compile(r"^([a-zA-Z]{1,2}):(\d{1,12})(?::(\d{1,12}))?$")  # action: 1–2 letters


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
    # --- calls (issue 14) ---
    CALL_ME = "Fa"  # consultation id: send my number to the other side
    CALLING_NOW = "Fb"  # consultation id: tell the other side I am calling
    # --- screening (issue 14) ---
    SCREEN_ANSWER = "Fc"  # consultation id, question position * 2 + (1 yes / 0 no)
    SCREEN_SKIP = "Fd"  # consultation id: no more questions
    # --- P-38.001 assessments (issue 11) ---
    ASSESS_DANGER = "ia"  # assessment id, danger index
    ASSESS_DECISION = "ib"  # assessment id, decision index
    ARTICLE8_ACK = "ic"  # assessment id: the officer acknowledges the article 8 request
    # --- people seen before (issue 11) ---
    SUBJECT_SKIP = "ja"  # consultation id: no subject key
    CASE_TAKE = "jb"  # subject id: own the case
    CASE_GIVE_UP = "jc"  # subject id
    CASE_HAND = "jd"  # subject id: pick the colleague
    CASE_HAND_TO = "je"  # subject id, person id
    CARE_PLAN_EDIT = "jf"  # subject id, part index
    CARE_PLAN_SHOW = "jg"  # subject id
    FOLLOWUP_AIM = "jh"  # follow-up id, aim index (the person, the family)
    # --- reports (issue 12) ---
    INCIDENT_NUMBER = "za"  # consultation id: how to give the police incident number
    SCENE_CLEARED = "zb"  # consultation id: the officer is back on duty
    # --- a held line (a holder's text that may answer the bot or be for an officer) ---
    # the held line's first message id (in the holder's chat), 0 = pass it on / 1 = it is my
    # answer. "ka" named the holder, not the line: still read (for questions asked before the
    # upgrade, 30 minutes at most), as the line this holder has held now
    HELD_LINE = "kb"
    HELD_LINE_BY_HOLDER = "ka"


CATEGORIES = list(Category)
URGENCIES = list(Urgency)
OUTCOMES = list(Outcome)
LANGUAGE_CHOICES = ["fr", "en"]

Handler = Callable[..., Awaitable[None]]
EVERYONE = frozenset(Role)
OFFICERS = frozenset({Role.OFFICER})
HOLDERS = frozenset({Role.WORKER, Role.SUPERVISOR})
WORKERS = frozenset({Role.WORKER})
SUPERVISORS = frozenset({Role.SUPERVISOR})


@dataclass
class Button:
    """One kind of button. A press calls handler(services, query, person, target) or, with a
    second field, handler(services, query, person, target, choice): the chosen member for
    `choices`, the integer itself for a free field."""

    action: Action
    roles: frozenset[Role]
    choices: Sequence[object] = ()
    free: bool = False  # the second field is an id, an offset, a checksum
    target_below: int | None = None  # the target is itself an index below this
    handler: Handler | None = field(default=None, repr=False)

    @property
    def has_choice(self) -> bool:
        return bool(self.choices) or self.free

    def handles(self, handler: Handler) -> Handler:
        """Decorator: this handler answers presses of this button (exactly one may)."""
        assert self.handler is None, f"{self.action} already handled by {self.handler}"
        self.handler = handler
        return handler

    def data(self, target: int, choice: object = None) -> str:
        if self.choices:
            return Callback(self.action, target, list(self.choices).index(choice)).encode()
        if self.free:
            assert isinstance(choice, int)
            return Callback(self.action, target, choice).encode()
        return Callback(self.action, target).encode()

    async def press(self, services: Any, query: Any, person: Any, callback: Callback) -> None:
        assert self.handler is not None, f"no handler for {self.action}"
        if not self.has_choice:
            await self.handler(services, query, person, callback.target)
            return
        await self.handler(services, query, person, callback.target, callback.chosen())


BUTTONS: dict[Action, Button] = {}


def _declare(action: Action, roles: frozenset[Role], **kind: Any) -> Button:
    button = Button(action, roles, **kind)
    BUTTONS[action] = button
    return button


CATEGORY = _declare(Action.CATEGORY, OFFICERS, choices=CATEGORIES)
URGENCY = _declare(Action.URGENCY, OFFICERS, choices=URGENCIES)
ACCEPT = _declare(Action.ACCEPT, HOLDERS)
DECLINE = _declare(Action.DECLINE, HOLDERS)
OUTCOME = _declare(Action.OUTCOME, HOLDERS, choices=OUTCOMES)
CLOSE = _declare(Action.CLOSE, EVERYONE)
LANGUAGE = _declare(Action.LANGUAGE, EVERYONE, target_below=len(LANGUAGE_CHOICES))
TRANSFER = _declare(Action.TRANSFER, WORKERS)
TRANSFER_TO = _declare(Action.TRANSFER_TO, WORKERS, free=True)
REASSIGN_TO = _declare(Action.REASSIGN_TO, SUPERVISORS, free=True)
TAKE_OVER = _declare(Action.TAKE_OVER, SUPERVISORS)
RESOURCE = _declare(Action.RESOURCE, EVERYONE, free=True)
MORE = _declare(Action.MORE, EVERYONE, free=True)
BROWSE = _declare(Action.BROWSE, EVERYONE, target_below=len(RESOURCE_CATEGORIES))
OPEN_NOW = _declare(Action.OPEN_NOW, EVERYONE, choices=[False, True])
REFER = _declare(Action.REFER, HOLDERS, free=True)
REFER_TO = _declare(Action.REFER_TO, HOLDERS, free=True)
FOLLOWUP_PLAN = _declare(Action.FOLLOWUP_PLAN, HOLDERS, choices=list(Plan))
FOLLOWUP_NO_NOTE = _declare(Action.FOLLOWUP_NO_NOTE, HOLDERS)
FOLLOWUP_DONE = _declare(Action.FOLLOWUP_DONE, HOLDERS)
FOLLOWUP_SNOOZE = _declare(Action.FOLLOWUP_SNOOZE, HOLDERS, choices=list(Snooze))
FOLLOWUP_REASSIGN = _declare(Action.FOLLOWUP_REASSIGN, HOLDERS)
FOLLOWUP_REASSIGN_TO = _declare(Action.FOLLOWUP_REASSIGN_TO, HOLDERS, free=True)
CALL_ME = _declare(Action.CALL_ME, EVERYONE)
CALLING_NOW = _declare(Action.CALLING_NOW, EVERYONE)
SCREEN_ANSWER = _declare(Action.SCREEN_ANSWER, OFFICERS, free=True)
SCREEN_SKIP = _declare(Action.SCREEN_SKIP, OFFICERS)
# --- P-38.001 assessments (issue 11) ---
ASSESS_DANGER = _declare(Action.ASSESS_DANGER, HOLDERS, choices=list(Danger))
ASSESS_DECISION = _declare(Action.ASSESS_DECISION, HOLDERS, choices=list(Decision))
ARTICLE8_ACK = _declare(Action.ARTICLE8_ACK, OFFICERS)
# --- people seen before (issue 11) ---
SUBJECT_SKIP = _declare(Action.SUBJECT_SKIP, OFFICERS)
CASE_TAKE = _declare(Action.CASE_TAKE, WORKERS)
CASE_GIVE_UP = _declare(Action.CASE_GIVE_UP, WORKERS)
CASE_HAND = _declare(Action.CASE_HAND, HOLDERS)
CASE_HAND_TO = _declare(Action.CASE_HAND_TO, HOLDERS, free=True)
CARE_PLAN_EDIT = _declare(Action.CARE_PLAN_EDIT, WORKERS, choices=list(CARE_PLAN_FIELDS))
CARE_PLAN_SHOW = _declare(Action.CARE_PLAN_SHOW, HOLDERS)
FOLLOWUP_AIM = _declare(Action.FOLLOWUP_AIM, HOLDERS, choices=list(AIMS))
# --- reports (issue 12) ---
INCIDENT_NUMBER = _declare(Action.INCIDENT_NUMBER, OFFICERS)
SCENE_CLEARED = _declare(Action.SCENE_CLEARED, OFFICERS)
HELD_LINE = _declare(Action.HELD_LINE, HOLDERS, choices=[True, False])  # pass it on?
HELD_LINE_BY_HOLDER = _declare(Action.HELD_LINE_BY_HOLDER, HOLDERS, choices=[True, False])
assert set(BUTTONS) == set(Action), "every action is declared once"


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
        """The member the choice index designates, or the free integer itself (decode()
        guarantees it exists)."""
        assert self.choice is not None
        button = BUTTONS[self.action]
        return button.choices[self.choice] if button.choices else self.choice


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
    button = BUTTONS[action]
    target = int(match.group(2))
    choice = int(match.group(3)) if match.group(3) is not None else None
    if button.has_choice != (choice is not None):
        return None
    if choice is not None and button.choices and choice >= len(button.choices):
        return None
    if button.target_below is not None and target >= button.target_below:
        return None
    return Callback(action, target, choice)


def category(consultation_id: int, value: Category) -> str:
    return CATEGORY.data(consultation_id, value)


def urgency(consultation_id: int, value: Urgency) -> str:
    return URGENCY.data(consultation_id, value)


def outcome(consultation_id: int, value: Outcome) -> str:
    return OUTCOME.data(consultation_id, value)


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
    return FOLLOWUP_PLAN.data(consultation_id, value)


def followup_no_note(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_NO_NOTE, followup_id).encode()


def followup_done(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_DONE, followup_id).encode()


def followup_snooze(followup_id: int, value: Snooze) -> str:
    return FOLLOWUP_SNOOZE.data(followup_id, value)


def followup_reassign(followup_id: int) -> str:
    return Callback(Action.FOLLOWUP_REASSIGN, followup_id).encode()


def followup_reassign_to(followup_id: int, person_id: int | None) -> str:
    """person_id None: back to the pool (encoded 0; person ids start at 1)."""
    return Callback(Action.FOLLOWUP_REASSIGN_TO, followup_id, person_id or 0).encode()


# --- P-38.001 assessments (issue 11) ---


def assess_danger(assessment_id: int, value: Danger) -> str:
    return ASSESS_DANGER.data(assessment_id, value)


def assess_decision(assessment_id: int, value: Decision) -> str:
    return ASSESS_DECISION.data(assessment_id, value)


def article8_ack(assessment_id: int) -> str:
    return Callback(Action.ARTICLE8_ACK, assessment_id).encode()


# --- people seen before (issue 11) ---


def subject_skip(consultation_id: int) -> str:
    return Callback(Action.SUBJECT_SKIP, consultation_id).encode()


def case_take(subject_id: int) -> str:
    return Callback(Action.CASE_TAKE, subject_id).encode()


def case_give_up(subject_id: int) -> str:
    return Callback(Action.CASE_GIVE_UP, subject_id).encode()


def case_hand(subject_id: int) -> str:
    return Callback(Action.CASE_HAND, subject_id).encode()


def case_hand_to(subject_id: int, person_id: int) -> str:
    return Callback(Action.CASE_HAND_TO, subject_id, person_id).encode()


def care_plan_edit(subject_id: int, part: str) -> str:
    return CARE_PLAN_EDIT.data(subject_id, part)


def care_plan_show(subject_id: int) -> str:
    return Callback(Action.CARE_PLAN_SHOW, subject_id).encode()


def followup_aim(followup_id: int, aim: str) -> str:
    return FOLLOWUP_AIM.data(followup_id, aim)
