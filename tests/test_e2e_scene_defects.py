"""End to end: what stays on the officer's and the worker's screens once it no longer
applies. The summary's optional key question goes at the accept (the key goes by /key from
then on) and once the key is typed; a key question that lapsed unanswered goes when the
officer next types a key or at the accept, and the late key is answered, not swallowed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows import people
from flows.conversation import INPUT_TTL
from flows.models import PendingInput
from flows.vocabulary import Role

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001
IMMEDIATE = "Immédiate (danger maintenant)"
KEY_QUESTION = "Facultatif : écrivez les initiales"


def officer_and_worker(world) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)


def lapse_the_key_question(world) -> None:
    """As if the officer had left the question unanswered past its time."""
    officer = people.find_by_telegram_id(world.db, OFFICER)
    assert officer is not None
    with world.db.unit_of_work() as session:
        asked = session.get_one(PendingInput, officer.id)
        asked.created_at -= INPUT_TTL + timedelta(minutes=1)


def test_the_key_question_leaves_the_summary_at_the_accept(world):
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)
    assert summary.get("reply_markup")  # the one-tap "no key"

    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    shown = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the key question",
    )
    assert ref in shown["text"] and not shown.get("reply_markup")


def test_a_photo_while_observations_are_awaited_is_passed_on_and_they_still_wait(world):
    """The photo goes to the officer like any message (nothing lost) and the worker hears
    it was not taken as the observations, which still wait; typed, they are recorded."""
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Homme en crise dans un appartement")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "Marie Roy", world.step)
    world.user.send_text(ROY, "/assessment")
    question = world.user.wait_for(
        ROY,
        lambda m: "Selon votre jugement" in m.get("text", "") and bool(m.get("reply_markup")),
        world.step,
        description="the danger question",
    )
    world.user.press(ROY, question["message_id"], text="Danger grave et immédiat pour autrui")
    world.user.wait_for(
        ROY,
        lambda m: m["message_id"] == question["message_id"] and "observations" in m["text"],
        world.step,
        description="the observations asked",
    )

    world.user.send_photo(ROY, "Le tournevis sur la table", reply_to=question["message_id"])
    photo = world.user.wait_for_text(OFFICER, "Le tournevis sur la table", world.step)
    assert "photo" in photo
    told = f"non ajouté à l'évaluation : écrivez vos observations pour {ref}"
    first = world.user.wait_for_text(ROY, told, world.step)
    world.user.send_photo(ROY, "Vue de la fenêtre")  # not a reply: the same
    world.user.wait_for_text(OFFICER, "Vue de la fenêtre", world.step)
    world.user.wait_for(
        ROY,
        lambda m: m["message_id"] > first["message_id"] and told in m.get("text", ""),
        world.step,
        description="told again",
    )
    world.user.send_photo(OFFICER, "La cuisine")  # the officer's photo reaches the worker
    world.user.wait_for_text(ROY, "La cuisine", world.step)

    world.user.send_text(ROY, "Agité, entend des voix", reply_to=question["message_id"])
    world.user.wait_for(
        ROY,
        lambda m: "Quelle est votre décision" in m.get("text", "") and bool(m.get("reply_markup")),
        world.step,
        description="the decision question: the typed observations were recorded",
    )
    assert not any("entend des voix" in t for t in world.texts(OFFICER))


def test_the_key_question_leaves_the_summary_once_the_key_is_typed(world):
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)

    world.user.send_text(OFFICER, "JT 1987")
    world.user.wait_for_text(OFFICER, f"Clé notée pour {ref}", world.step)
    shown = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the key question",
    )
    assert ref in shown["text"] and not shown.get("reply_markup")


def test_a_key_typed_after_the_question_lapsed_is_kept_as_words_and_the_question_goes(world):
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)
    lapse_the_key_question(world)

    world.user.send_text(OFFICER, "JT 1987")
    told = world.user.wait_for_text(
        OFFICER, f"Ma question sur la clé de {ref} avait expiré", world.step
    )
    assert "/key" in told["text"]
    shown = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the lapsed key question",
    )
    assert ref in shown["text"] and not shown.get("reply_markup")
    assert not any(f"Clé notée pour {ref}" in t for t in world.texts(OFFICER))

    world.accept(ROY, ref)  # the officer's words, kept for the worker: not to send again
    world.user.wait_for_text(ROY, "JT 1987", world.step)


def test_any_line_after_the_key_question_lapsed_takes_the_question_off_the_summary(world):
    """Before: only a line that read as a key did; with any other the question and its
    button stayed until the accept."""
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)
    lapse_the_key_question(world)

    world.user.send_text(OFFICER, "Elle tient un couteau")
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the lapsed key question",
    )
    assert not any("avait expiré" in t for t in world.texts(OFFICER))  # not a key: no note
    world.accept(ROY, ref)
    world.user.wait_for_text(ROY, "Elle tient un couteau", world.step)


def test_a_key_question_that_lapsed_leaves_the_summary_at_the_accept(world):
    officer_and_worker(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)
    lapse_the_key_question(world)

    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    shown = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the lapsed key question",
    )
    assert not shown.get("reply_markup")


def test_a_late_tap_on_no_key_is_answered_and_the_question_goes(world):
    """Guards what already held: the lapsed question's button still answers, and the
    question leaves the summary."""
    officer_and_worker(world)
    world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, KEY_QUESTION, world.step)
    lapse_the_key_question(world)

    query = world.user.press(OFFICER, summary["message_id"], text="Pas de clé")
    assert world.user.wait_for_callback_answer(query, world.step).get("text") == (
        "D'accord, sans clé."
    )
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and KEY_QUESTION not in m["text"],
        world.step,
        description="the summary without the lapsed key question",
    )
