"""End to end: the quick screening after the urgency, with the shipped questions file. The
request is out before the first question; answers update the worker's card as they come;
a "yes" to the weapon question makes an advice request immediate; one tap skips the rest;
an English-speaking officer gets the questions in English; a holder gets late answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import events, views
from flows.vocabulary import EventKind, Role, Urgency
from tests.support.e2e import running_world

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_EN, ROY = 1001, 1002, 2001
SHIPPED = Path(__file__).resolve().parents[1] / "screening.yaml"


@pytest.fixture
def world(db, tmp_path):
    with running_world(db, tmp_path, {"RELAIS_SCREENING_PATH": str(SHIPPED)}) as running:
        yield running


def _button(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


def test_answers_reach_the_card_raise_urgency_and_skip_ends_it(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(
        OFFICER, "Homme sur le pont", category="Risque suicidaire", urgency="Conseil"
    )
    card = world.card(ROY, ref)  # out before any question is answered
    question = world.user.wait_for_text(OFFICER, f"{ref} · question 1 sur 4", world.step)
    assert "Une arme est-elle présente" in question["text"]

    world.user.press(OFFICER, question["message_id"], data=_button(question, "Oui"))
    world.user.wait_for(
        ROY,
        lambda m: m["message_id"] == card["message_id"] and "Une arme" in m.get("text", ""),
        world.step,
        description="the card redrawn with the answer",
    )
    redrawn = next(m for m in world.user.messages(ROY) if m["message_id"] == card["message_id"])
    assert "Une arme est-elle présente ou à portée ? Oui" in redrawn["text"]
    assert "Immédiate" in redrawn["text"]  # the urgency was raised
    assert redrawn.get("reply_markup")  # still takeable
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == question["message_id"] and "question 2 sur 4" in m["text"],
        world.step,
        description="the next question in the same message",
    )
    second = next(
        m for m in world.user.messages(OFFICER) if m["message_id"] == question["message_id"]
    )
    world.user.press(OFFICER, second["message_id"], data=_button(second, "Passer les questions"))
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == question["message_id"] and "questions passées" in m["text"],
        world.step,
        description="skipped",
    )

    c = views.get_view(world.db, views.parse_reference(ref))
    assert c is not None and c.urgency == Urgency.IMMEDIATE
    kinds = [e.kind for e in events.timeline(world.db, c.id)]
    assert kinds.count(EventKind.SCREENING_ANSWERED) == 1
    assert EventKind.URGENCY_RAISED in kinds and EventKind.SCREENING_SKIPPED in kinds


def test_in_english_and_answers_after_the_accept_go_to_the_holder(world):
    world.enrol(OFFICER_EN, Role.OFFICER, "Sam Officer", language_code="en")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    world.user.send_text(OFFICER_EN, "Woman shouting at neighbours, says they poison her")
    prompt = world.user.wait_for_text(OFFICER_EN, "Which category", world.step)
    world.user.press(OFFICER_EN, prompt["message_id"], text="Mental health")
    world.user.wait_for(
        OFFICER_EN, lambda m: "How urgent" in m.get("text", ""), world.step, description="urgency"
    )
    world.user.press(OFFICER_EN, prompt["message_id"], text="Urgent (within the hour)")
    question = world.user.wait_for_text(OFFICER_EN, "question 1 of 4", world.step)
    assert "Could the person hurt themselves right now?" in question["text"]
    ref = question["text"].split(" ·")[0]
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER_EN, "accepted by Marie Roy", world.step)
    world.user.press(OFFICER_EN, question["message_id"], data=_button(question, "No"))
    late = world.user.wait_for_text(ROY, f"{ref} · l'agent·e a répondu", world.step)
    assert "La personne risque-t-elle de se blesser maintenant ? Non" in late["text"]
