"""End to end through the sandbox: the optional subject key. An officer types it while the
request waits for its urgency, or after an immediate request went out, or skips it in one
tap; the worker's card shows the person's history; the worker who owns the case gets the
next consultation first and the officer is told so; /recurring and /case for workers."""

from __future__ import annotations

import pytest

from tests.support.e2e import card_button

pytestmark = pytest.mark.e2e

OFFICER, ROY, WILSON = 1001, 2001, 2002
IMMEDIATE = "Immédiate (danger maintenant)"
URGENT = "Urgente (dans l'heure)"


def team(world):
    from flows.vocabulary import Role

    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(WILSON, Role.WORKER, "Sam Wilson", language_code="en")
    world.go_on(ROY)
    world.go_on(WILSON)


def request_with_key(world, words, key, urgency=URGENT):
    """Words, a category, the key typed while the urgency question waits, then the urgency."""
    before = world.last_id(OFFICER)
    world.user.send_text(OFFICER, words)
    prompt = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > before and "Quelle catégorie" in m.get("text", ""),
        world.step,
        description="the category question",
    )
    world.user.press(OFFICER, prompt["message_id"], text="Santé mentale")
    asked = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == prompt["message_id"] and "Quelle urgence" in m["text"],
        world.step,
        description="the urgency question",
    )
    assert "JT 1987" in asked["text"]  # the optional key is offered, as an example
    world.user.send_text(OFFICER, key)
    noted = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > prompt["message_id"] and "Clé notée pour" in m["text"],
        world.step,
        description="the key noted",
    )
    assert key not in noted["text"]
    world.user.press(OFFICER, prompt["message_id"], text=urgency)
    sent = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > noted["message_id"] and "envoyée" in m.get("text", ""),
        world.step,
        description="the request sent",
    )
    return sent["text"].split()[1]


def close_with_outcome(world, worker, ref):
    world.user.send_text(worker, "/close")
    prompt = world.user.wait_for(
        worker,
        lambda m: (
            ("Quel est le résultat" in m.get("text", "") or "outcome" in m.get("text", ""))
            and ref in m.get("text", "")
        ),
        world.step,
        description="the outcome question",
    )
    button = prompt["reply_markup"]["inline_keyboard"][1][0]["callback_data"]  # referred
    world.user.press(worker, prompt["message_id"], data=button)


def test_the_key_typed_before_the_urgency_brings_the_history_to_the_next_card(world_any_db):
    world = world_any_db
    team(world)
    first = request_with_key(world, "Homme agité sur son balcon", "JT 1987")
    card = world.card(ROY, first)
    assert "Personne connue (P-0001) : aucune autre consultation" in card["text"]
    world.accept(ROY, first)
    world.user.wait_for_text(OFFICER, f"{first} acceptée par Marie Roy", world.step)
    close_with_outcome(world, ROY, first)
    world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)

    second = request_with_key(world, "Encore le même homme, il crie", "t.j. 1987")
    card_fr = world.card(ROY, second)
    assert "Personne déjà vue (P-0001) : 1 consultation(s) ces 12 derniers mois." in card_fr["text"]
    assert "par Marie Roy" in card_fr["text"]
    card_en = world.card(WILSON, second)
    assert "Seen before (P-0001): 1 consultation(s) in the last 12 months." in card_en["text"]
    officer_texts = " ".join(world.texts(OFFICER))
    assert "P-0001" not in officer_texts and "déjà vue" not in officer_texts  # never to officers

    world.user.send_text(ROY, "/case P-0001")
    case = world.user.wait_for_text(ROY, "Dossier P-0001", world.step)
    world.user.press(ROY, case["message_id"], text="Prendre le dossier")
    world.user.wait_for_text(ROY, "Vous êtes maintenant responsable du dossier P-0001", world.step)
    world.user.send_text(OFFICER, "/case P-0001")
    world.user.wait_for_text(OFFICER, "pas disponible pour votre rôle", world.step)
    log = world.bot.log_path.read_text(errors="replace")
    assert "JT 1987" not in log and "t.j. 1987" not in log and "I:JT:1987" not in log


def test_the_owner_is_offered_first_and_the_officer_is_told_who_has_it(world):
    team(world)
    first = request_with_key(world, "Homme agité sur son balcon", "JT 1987")
    world.accept(ROY, first)
    close_with_outcome(world, ROY, first)
    world.user.send_text(ROY, "/case P-0001")
    case = world.user.wait_for_text(ROY, "Dossier P-0001", world.step)
    world.user.press(ROY, case["message_id"], text="Prendre le dossier")
    world.user.wait_for_text(ROY, "responsable du dossier P-0001", world.step)

    second = request_with_key(world, "Il est revenu sur le balcon", "JT 1987")
    # The request's summary (the scene's location question may come after it).
    world.user.wait_for_text(
        OFFICER,
        f"{second} envoyée d'abord à l'intervenant·e qui connaît cette personne",
        world.step,
    )
    card = world.card(ROY, second)
    wilson_before = world.texts(WILSON)
    assert not any(second in text for text in wilson_before)  # the owner alone, first
    query = world.user.press(ROY, card["message_id"], data=card_button(card))
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(
        OFFICER, f"{second} : l'intervenant·e qui connaît cette personne, Marie Roy", world.step
    )


def test_the_key_question_after_an_immediate_request_is_skipped_in_one_tap(world_any_db):
    world = world_any_db
    team(world)
    ref = world.open_consultation(OFFICER, "Femme sur le pont", urgency=IMMEDIATE)
    summary = world.user.wait_for_text(OFFICER, "Facultatif : écrivez les initiales", world.step)
    world.card(ROY, ref)  # the request went out before any key
    query = world.user.press(OFFICER, summary["message_id"], text="Pas de clé")
    answer = world.user.wait_for_callback_answer(query, world.step)
    assert answer.get("text") == "D'accord, sans clé."
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == summary["message_id"] and "Facultatif" not in m["text"],
        world.step,
        description="the summary without the key question",
    )
    world.user.send_text(OFFICER, "AB 1990")  # now just words for the worker
    world.user.wait_for_text(OFFICER, "dès qu'une personne accepte", world.step)
    world.accept(ROY, ref)
    world.user.wait_for_text(ROY, "AB 1990", world.step)  # queued, then delivered


def test_the_key_given_after_an_immediate_request_updates_the_cards(world):
    team(world)
    first = request_with_key(world, "Homme agité sur son balcon", "JT 1987")
    world.accept(ROY, first)
    close_with_outcome(world, ROY, first)
    world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)

    ref = world.open_consultation(OFFICER, "Il menace de sauter", urgency=IMMEDIATE)
    card = world.card(WILSON, ref)
    assert "Seen before" not in card["text"]
    world.user.send_text(OFFICER, "JT 1987")
    world.user.wait_for_text(OFFICER, f"Clé notée pour {ref}", world.step)
    world.user.wait_for(
        WILSON,
        lambda m: m["message_id"] == card["message_id"] and "Seen before (P-0001)" in m["text"],
        world.step,
        description="the card rewritten with the history",
    )
    edited = next(m for m in world.user.messages(WILSON) if m["message_id"] == card["message_id"])
    assert edited.get("reply_markup")  # still an offer: Accept and Decline kept
