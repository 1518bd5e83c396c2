"""End to end: whoever holds a consultation — a worker, or a supervisor who accepted it or
took it over — relays both ways, routes by reply, sees it in /status, closes it and plans
its follow-up; and whoever receives a consultation already under way reads it so far."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import message_links
from flows import enrolment, people, views
from flows import events as event_log
from flows import followups as fu
from flows.store import Database, utc_now
from flows.vocabulary import EventKind, Role
from tests.support.e2e import World, running_world

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_2, ROY, NADEAU, CHIEF = 1001, 1002, 2001, 2003, 3001
IMMEDIATE = "Immédiate (danger maintenant)"
SHORT = {
    "RELAIS_ACK_IMMEDIATE_SECONDS": "2",
    "RELAIS_ACK_URGENT_SECONDS": "600",
    "RELAIS_ACK_ADVICE_SECONDS": "600",
    "RELAIS_REQUEUE_SECONDS": "600",
    "RELAIS_SWEEP_SECONDS": "1",
}


@pytest.fixture
def fast(db: Database, tmp_path: Path) -> Iterator[World]:
    with running_world(db, tmp_path, SHORT) as world:
        yield world


def kinds(world: World, ref: str) -> list[EventKind]:
    cid = views.parse_reference(ref)
    assert cid is not None
    return [e.kind for e in event_log.timeline(world.db, cid)]


def person_id(world: World, telegram_id: int) -> int:
    person = people.find_by_telegram_id(world.db, telegram_id)
    assert person is not None
    return person.id


def test_a_supervisor_holding_consultations_relays_routes_closes_and_plans(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(OFFICER_2, Role.OFFICER, "Paul Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    world.go_on(ROY)

    # Roy lets the immediate request run out: it escalates to the supervisor, who accepts.
    first = world.open_consultation(OFFICER, "Homme sur le pont", urgency=IMMEDIATE)
    world.card(ROY, first)
    world.accept(CHIEF, first)
    world.user.wait_for_text(OFFICER, f"{first} acceptée par Anne Lavoie", world.step)
    # A second one, still waiting for Roy, the supervisor takes over.
    second = world.open_consultation(OFFICER_2, "Femme en détresse au métro")
    world.card(ROY, second)
    world.user.send_text(CHIEF, f"/takeover {second}")
    world.user.wait_for_text(OFFICER_2, f"{second} est maintenant suivie par Anne Lavoie", 15)

    world.user.send_text(OFFICER, "Il enjambe la rambarde")
    relayed = world.user.wait_for_text(CHIEF, "Il enjambe la rambarde", world.step)
    world.user.send_text(CHIEF, "Parlez-lui de sa fille", reply_to=relayed["message_id"])
    world.user.wait_for_text(OFFICER, f"{first} · Anne Lavoie :\nParlez-lui de sa fille", 15)
    world.user.send_photo(CHIEF, "Le pont vu d'en haut", reply_to=relayed["message_id"])
    photo = world.user.wait_for_text(OFFICER, "Le pont vu d'en haut", world.step)
    assert "photo" in photo
    guess = world.user.send_text(CHIEF, "Gardez le contact")  # no reply: the latest active
    world.user.wait_for_text(OFFICER, f"{first} · Anne Lavoie :\nGardez le contact", 15)
    note = world.user.wait_for_new(CHIEF, guess["message_id"], world.step)
    assert note["text"].startswith(f"↑ Envoyé dans {first} (Julie Tremblay)")
    intro = world.user.wait_for_text(CHIEF, f"{second} est à vous", world.step)
    world.user.send_text(CHIEF, "Restez avec elle", reply_to=intro["message_id"])
    world.user.wait_for_text(OFFICER_2, f"{second} · Anne Lavoie :\nRestez avec elle", 15)
    world.user.wait_until_idle(world.step, quiet=0.3)
    assert not any("Parlez-lui" in t or "Le pont" in t for t in world.texts(OFFICER_2))
    assert not any("Restez avec elle" in t for t in world.texts(OFFICER))
    assert not any("/takeover C-0042" in t for t in world.texts(CHIEF)), "no help text back"

    world.user.send_text(CHIEF, "/status")
    status = world.user.wait_for_text(CHIEF, "Consultations en main (2)", world.step)
    assert first in status["text"] and second in status["text"]

    world.user.send_text(CHIEF, f"/close {first}")
    world.user.wait_for_text(OFFICER, f"{first} a été fermée par Anne Lavoie", world.step)
    prompt = world.user.wait_for_text(CHIEF, f"{first} fermée. Quel est le résultat", 15)
    world.user.press(CHIEF, prompt["message_id"], text="Orienté vers une ressource")
    question = world.user.wait_for_text(CHIEF, f"{first} : un suivi à prévoir", world.step)
    world.user.press(CHIEF, question["message_id"], text="Dans 24 h")
    world.user.wait_for_text(CHIEF, f"{first} : suivi prévu le", world.step)
    world.user.send_text(CHIEF, "A-t-il vu son médecin ?")  # the note, or for Paul Côté?
    which = world.user.wait_for_text(CHIEF, "Ce message est-il pour Paul Côté", world.step)
    world.user.press(CHIEF, which["message_id"], text="✎ C'est ma réponse")  # the note
    world.user.wait_for_text(CHIEF, "Note enregistrée", world.step)

    chief = person_id(world, CHIEF)
    [planned] = fu.pending_for(world.db, people.get(world.db, chief))
    assert planned.assignee is not None and planned.assignee.id == chief
    assert planned.note == "A-t-il vu son médecin ?"
    events = kinds(world, first)
    assert events.count(EventKind.MESSAGE_RELAYED) == 4  # the officer's and three answers
    assert EventKind.OUTCOME_RECORDED in events and EventKind.FOLLOWUP_SCHEDULED in events
    assert not any("A-t-il vu son médecin" in t for t in world.texts(OFFICER_2))


def history_after(world: World, chat_id: int, header: str) -> list[dict]:
    """The messages that followed the 'conversation so far' header in this chat."""
    messages = world.user.messages(chat_id)
    start = next(i for i, m in enumerate(messages) if header in m.get("text", ""))
    return messages[start + 1 :]


def content(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def a_conversation(world: World) -> str:
    """Roy holds a consultation in which both sides wrote, a photo and a message queued
    before the accept included."""
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Jeune en fugue")
    world.card(ROY, ref)
    world.user.send_text(OFFICER, "Il est parti hier")
    world.user.wait_for_text(OFFICER, f"{ref} : message gardé", world.step)
    world.accept(ROY, ref)
    world.user.wait_for_text(ROY, "Il est parti hier", world.step)
    world.user.send_text(ROY, "Où dort-il ?")
    world.user.wait_for_text(OFFICER, "Où dort-il ?", world.step)
    world.user.send_photo(OFFICER, "la chambre")
    world.user.wait_for_text(ROY, "la chambre", world.step)
    return ref


def expected_history(ref: str) -> list[str]:
    return [
        f"🕘 {ref} · Julie Tremblay (historique) :\nIl est parti hier",
        f"🕘 {ref} · Marie Roy (historique) :\nOù dort-il ?",
        f"🕘 {ref} · Julie Tremblay (historique) :\nla chambre",
    ]


def test_a_transferred_consultation_arrives_with_the_conversation_so_far(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    ref = a_conversation(world)
    world.go_on(NADEAU)
    world.user.send_text(ROY, f"/transfer {ref} Elle connaît la famille")
    prompt = world.user.wait_for_text(ROY, f"{ref} — à qui la confier ?", world.step)
    world.user.press(ROY, prompt["message_id"], text="Anne Nadeau")
    world.user.wait_for_text(NADEAU, f"{ref} vous est confiée par Marie Roy", world.step)
    header = f"{ref} — la conversation jusqu'ici, 3 message(s) :"
    world.user.wait_for_text(NADEAU, expected_history(ref)[-1], world.step)
    history = history_after(world, NADEAU, header)
    assert [content(m) for m in history] == expected_history(ref)
    assert "photo" in history[-1]

    world.user.send_text(NADEAU, "Je le connais", reply_to=history[1]["message_id"])
    world.user.wait_for_text(OFFICER, f"{ref} · Anne Nadeau :\nJe le connais", world.step)
    cid = views.parse_reference(ref)
    assert message_links.consultation_of_message(world.db, NADEAU, history[0]["message_id"]) == cid


def test_a_supervisor_taking_over_reads_the_request_and_the_conversation(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    ref = a_conversation(world)
    world.user.send_text(CHIEF, f"/takeover {ref}")
    intro = world.user.wait_for_text(CHIEF, f"{ref} est à vous", world.step)
    assert "Jeune en fugue" in intro["text"]  # the request, though the card never came
    world.user.wait_for_text(CHIEF, expected_history(ref)[-1], world.step)
    header = f"{ref} — la conversation jusqu'ici, 3 message(s) :"
    assert [content(m) for m in history_after(world, CHIEF, header)] == expected_history(ref)
    world.user.wait_for_text(ROY, f"{ref} a été confiée à Anne Lavoie", world.step)


def test_after_a_revocation_the_next_holder_reads_the_conversation_once(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    ref = a_conversation(world)
    world.go_on(NADEAU)
    world.user.wait_until_idle(world.step, quiet=0.3)  # /on's look at the queue is done
    enrolment.revoke(world.db, person_id(world, ROY), utc_now)  # as `relais users revoke` does
    world.user.wait_for_text(OFFICER, f"{ref} : la personne qui suivait", world.step)
    calm = world.user.send_text(OFFICER, "Il se calme")
    kept = world.user.wait_for_new(OFFICER, calm["message_id"], world.step)
    assert kept["text"].startswith(f"{ref} : message gardé")
    world.accept(NADEAU, ref)
    latest = f"{ref} · Julie Tremblay :\nIl se calme"
    world.user.wait_for_text(NADEAU, latest, world.step)
    header = f"{ref} — la conversation jusqu'ici, 3 message(s) :"
    assert [content(m) for m in history_after(world, NADEAU, header)] == [
        *expected_history(ref),
        latest,
    ]
    assert sum("Il est parti hier" in content(m) for m in world.user.messages(NADEAU)) == 1
