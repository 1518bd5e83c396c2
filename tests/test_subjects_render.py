"""What people read about people seen before, rendered from the notices the use cases record,
in French and in English: the history on the offer card, the care plan (with its owner's
buttons, and without them for the next handler), the case with its buttons, the colleague
choice, the recurring list, the officer's key question with its one-tap skip."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.render.notices import Context, Edit, Text, steps_of
from flows import cases, people, relaying
from flows import consultations as cs
from flows.directory import DirectoryHolder
from flows.vocabulary import Category, NoticeKind, Presence, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, recorded
from tests.test_subjects import about, handled, owned_by, team, write


def rendered(notice, lang, clock):
    steps = steps_of(
        replace(notice, language=lang), Context(DirectoryHolder(Path("")), clock(), "811")
    )
    return steps


def of_kind(db, before, kind):
    return [n for n in recorded(db, before) if n.kind == kind]


def buttons(step):
    keyboard = step.keyboard
    return [b.text for row in keyboard.inline_keyboard for b in row] if keyboard else []


@pytest.mark.parametrize(
    ("lang", "seen", "plan"),
    [
        ("fr", "Personne déjà vue (P-0001) : 1 consultation(s)", "plan d'intervention : oui"),
        ("en", "Seen before (P-0001): 1 consultation(s)", "care plan: yes"),
    ],
)
def test_the_offer_card_shows_the_history_in_both_languages(db, clock, lang, seen, plan):
    officer, roy, _ = team(db, clock)
    sid = owned_by(db, clock, officer, roy)
    write(db, clock, roy, sid, 0, "Le calme")
    people.set_presence(db, roy.id, Presence.OFF, clock, POLICY)
    before = last_notice_id(db)
    about(db, clock, officer)
    [card] = of_kind(db, before, NoticeKind.OFFER_CARD)
    [step] = rendered(card, lang, clock)
    assert isinstance(step, Text)
    assert seen in step.text and plan in step.text and "Marie Roy" in step.text
    assert len(buttons(step)) == 2  # accept, decline


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_care_plan_reads_well_for_its_owner_and_for_the_next_handler(db, clock, lang):
    officer, roy, gagnon = team(db, clock)
    sid = owned_by(db, clock, officer, roy)
    before = last_notice_id(db)
    act(db, clock, cases.show_care_plan, roy.id, sid, POLICY)
    [empty] = rendered(of_kind(db, before, NoticeKind.CARE_PLAN)[0], lang, clock)
    assert "P-0001" in empty.text and len(buttons(empty)) == 4
    write(db, clock, roy, sid, 3, "Appeler sa sœur, puis le 811")
    [plan] = rendered(of_kind(db, before, NoticeKind.CARE_PLAN)[-1], lang, clock)
    assert "Appeler sa sœur, puis le 811" in plan.text and "Marie Roy" in plan.text
    assert (
        "modifié : Plan de crise convenu" if lang == "fr" else "changed: Agreed crisis plan"
    ) in (plan.text)
    people.set_presence(db, roy.id, Presence.OFF, clock, POLICY)
    cid = about(db, clock, officer).consultation.id
    before = last_notice_id(db)
    act(db, clock, cs.accept, gagnon.id, cid, POLICY)
    [shown] = rendered(of_kind(db, before, NoticeKind.CARE_PLAN)[0], lang, clock)
    assert f"C-{cid:04d}" in shown.text and buttons(shown) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_case_the_colleague_choice_and_the_recurring_list_render(db, clock, lang):
    officer, roy, _ = team(db, clock)
    supervisor = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    for _ in range(3):
        handled(db, clock, officer, roy)
    before = last_notice_id(db)
    act(db, clock, cases.show_case, supervisor.id, 1, POLICY)
    act(db, clock, cases.list_recurring, supervisor.id, POLICY)
    act(db, clock, cases.take_case, roy.id, 1)
    act(db, clock, cases.ask_hand, roy.id, 1)
    [case] = rendered(of_kind(db, before, NoticeKind.CASE)[0], lang, clock)
    assert "P-0001" in case.text and case.text.count("C-000") == 3
    assert len(buttons(case)) == 1  # a supervisor: the care plan only (nobody owns it yet)
    [listing] = rendered(of_kind(db, before, NoticeKind.RECURRING)[0], lang, clock)
    assert "P-0001 · 3 consultations" in listing.text
    [choice] = rendered(of_kind(db, before, NoticeKind.CASE)[1], lang, clock)
    assert buttons(choice) == ["Luc Gagnon"]


@pytest.mark.parametrize(("lang", "skip"), [("fr", "Pas de clé"), ("en", "No key")])
def test_the_officer_is_asked_the_key_after_an_immediate_request_with_a_skip(db, clock, lang, skip):
    officer, _, _ = team(db, clock)
    c = act(db, clock, relaying.open_draft, officer.id, "Sur le pont")
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    before = last_notice_id(db)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY, 77)
    [submitted] = of_kind(db, before, NoticeKind.SUBMITTED)
    summary, _ = rendered(submitted, lang, clock)
    assert isinstance(summary, Edit) and buttons(summary) == [skip]
    assert "JT 1987" in summary.text
    act(db, clock, cases.skip_key, officer.id, c.id, 77)
    [edited] = rendered(of_kind(db, before, NoticeKind.SUBJECT_CARD)[0], lang, clock)
    assert isinstance(edited, Edit) and edited.keyboard is None and c.reference in edited.text
