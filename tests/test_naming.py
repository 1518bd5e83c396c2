"""How a person is named: the display name as enrolled already carries any title ("Agent
Julie Tremblay"), so no sentence of either catalog puts a role word in front of a name."""

from __future__ import annotations

import re

import pytest

from bot import render
from bot.i18n import catalog
from bot.render import followups as view
from flows import followups as fu
from flows import reminders
from flows.vocabulary import LANGUAGES, Plan, Role
from tests.support.followups import MTL, closed_case
from tests.support.people import POLICY, enrol
from tests.support.units import act

NAME_PLACEHOLDER = r"\{(?:name|officer|worker|by|who|taker)\}"
TITLE_BEFORE_NAME = re.compile(
    r"\b(?:agent·e|agent|policier·ère|policière|policier|intervenant·e|superviseur·e|"
    r"officer|worker|supervisor)\s+" + NAME_PLACEHOLDER,
    re.IGNORECASE,
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_catalog_sentence_puts_a_role_title_before_a_name(lang):
    titled = {k: v for k, v in catalog(lang).items() if TITLE_BEFORE_NAME.search(v)}
    assert titled == {}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_reminder_names_the_officer_once_as_enrolled(db, clock, lang):
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay")
    c, worker, _ = closed_case(db, clock, officer=officer)
    act(db, clock, fu.plan, worker.id, c.id, Plan.HOURS_24, MTL)
    clock.advance(hours=24)
    [r] = reminders.claim_due(db, clock, POLICY)
    text = view.reminder(lang, r, MTL).text
    assert text.count("Agent Julie Tremblay") == 1
    assert not re.search(r"(?i)(agent·e|officer)\s+Agent", text), text


def test_one_function_names_a_person_and_a_missing_one(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay")
    assert render.person_name(officer) == "Agent Julie Tremblay"
    assert render.person_name(None) == "—"
