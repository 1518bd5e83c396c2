"""Callback data: compact, within 64 bytes, and anything forged decodes to nothing."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.callbacks import Action
from flows.vocabulary import Category, Outcome, Urgency


def test_every_button_round_trips_and_fits_in_64_bytes():
    big = 999_999_999_999
    for data in [
        callbacks.category(big, Category.ELDER),
        callbacks.urgency(big, Urgency.ADVICE),
        callbacks.outcome(big, Outcome.OTHER),
        callbacks.accept(big),
        callbacks.close(big),
        callbacks.language("en"),
    ]:
        assert len(data.encode()) <= 64
        decoded = callbacks.decode(data)
        assert decoded is not None and decoded.encode() == data


def test_the_choice_designates_the_enum_member():
    decoded = callbacks.decode(callbacks.urgency(5, Urgency.URGENT))
    assert decoded is not None
    assert (decoded.action, decoded.target, decoded.chosen()) == (Action.URGENCY, 5, Urgency.URGENT)


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "a",
        "a:",
        "a:x",
        "z:1",
        "zz:1",
        "abc:1",
        "a:1:2",
        "c:1",
        "c:1:99",
        "o:1:-1",
        "l:5",
        "a:1;drop",
        "a:" + "9" * 40,
        "é:1",
        "u:1:3",
        " a:1",
    ],
)
def test_forged_or_malformed_data_decodes_to_nothing(forged):
    assert callbacks.decode(forged) is None


def test_every_action_has_its_own_letter():
    """Two actions on one letter would make an enum alias: one button doing another's job."""
    from bot.callbacks import Action

    assert len(Action.__members__) == len({a.value for a in Action.__members__.values()})


def test_every_button_is_declared_once_with_its_roles_and_handled_by_one_handler():
    import bot.handlers.buttons  # noqa: F401  (importing the handlers registers them)

    assert set(callbacks.BUTTONS) == set(callbacks.Action)
    for action, button in callbacks.BUTTONS.items():
        assert button.handler is not None, f"{action!r} has no handler"
        assert button.roles, f"{action!r} may be pressed by nobody"
