"""The follow-ups' edge pieces: their buttons' callback data (compact, forged data refused)
and their settings (defaults, and a bad value named in one sentence)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import callbacks
from bot.callbacks import Action
from bot.settings import ConfigError, load_settings
from flows.vocabulary import Plan, Snooze


def test_follow_up_buttons_round_trip_within_64_bytes():
    big = 999_999_999_999
    for data in [
        *(callbacks.followup_plan(big, p) for p in Plan),
        *(callbacks.followup_snooze(big, s) for s in Snooze),
        callbacks.followup_no_note(big),
        callbacks.followup_done(big),
        callbacks.followup_reassign(big),
        callbacks.followup_reassign_to(big, big),
        callbacks.followup_reassign_to(big, None),
    ]:
        assert len(data.encode()) <= 64
        decoded = callbacks.decode(data)
        assert decoded is not None and decoded.encode() == data


def test_the_plan_and_snooze_choices_designate_their_members():
    plan = callbacks.decode(callbacks.followup_plan(7, Plan.WEEK))
    snooze = callbacks.decode(callbacks.followup_snooze(7, Snooze.MORNING))
    assert plan is not None and plan.chosen() == Plan.WEEK
    assert snooze is not None and (snooze.action, snooze.chosen()) == (
        Action.FOLLOWUP_SNOOZE,
        Snooze.MORNING,
    )


@pytest.mark.parametrize(
    "forged", ["f:1:5", "f:1", "s:1:3", "s:1", "v:1:2", "y:1", "n:x", "w:1:1", "v:-1", "z:1"]
)
def test_forged_follow_up_data_decodes_to_nothing(forged):
    assert callbacks.decode(forged) is None


def test_follow_up_settings_have_defaults_and_read_the_environment(monkeypatch):
    defaults = load_settings().followup_policy
    assert (defaults.grace, defaults.morning_hour, defaults.summary_hour) == (
        timedelta(hours=24),
        9,
        8,
    )
    monkeypatch.setenv("RELAIS_FOLLOWUP_GRACE_HOURS", "48")
    monkeypatch.setenv("RELAIS_MORNING_HOUR", "8")
    changed = load_settings().followup_policy
    assert (changed.grace, changed.morning_hour) == (timedelta(hours=48), 8)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RELAIS_FOLLOWUP_GRACE_HOURS", "0"),
        ("RELAIS_SUPERVISOR_SUMMARY_HOUR", "25"),
        ("RELAIS_MORNING_HOUR", "matin"),
    ],
)
def test_a_bad_follow_up_setting_is_one_sentence_naming_it(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(variable) and "\n" not in str(caught.value)
