"""End to end: Call me / I'm calling you through the sandbox. The worker's number comes from
the invite, the officer's from sharing their own contact with the request-contact button
(/phone, consent). Each side presses Call me; the other gets the number and answers "I'm
calling you"; without a number the button says how to add one; /phone off removes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows import enrolment, events, views
from flows.store import utc_now
from flows.vocabulary import EventKind, Role
from tests.support.e2e import card_button

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


def _button(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if label in b["text"])


def test_call_me_both_ways_with_and_without_numbers(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.add_user(ROY, "Roy", language_code="fr")
    issued = enrolment.create_invite(
        world.db, Role.WORKER, "Marie Roy", utc_now, timedelta(hours=1), "+15145550123"
    )
    world.user.send_text(ROY, f"/start {issued.code}")
    world.user.wait_for_text(ROY, "Marie Roy", world.step)
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme en crise, il ne veut parler qu'au téléphone")
    card = world.card(ROY, ref)
    world.user.press(ROY, card["message_id"], data=card_button(card))
    intro = world.user.wait_for(
        ROY, lambda m: "Appelez-moi" in str(m.get("reply_markup", "")), world.step
    )
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)

    # The officer has no number yet: told how to add one, nothing reaches the worker.
    world.user.send_text(OFFICER, "/callme")
    world.user.wait_for_text(OFFICER, "pas encore votre numéro", world.step)

    # Consent: /phone shows the request-contact button; the officer shares their contact.
    world.user.send_text(OFFICER, "/phone")
    world.user.wait_for_text(OFFICER, "Relais a besoin de votre numéro", world.step)
    keyboard = world.user.reply_keyboard(OFFICER)
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    world.user.share_contact(OFFICER, "14385550199", first_name="Julie")
    world.user.wait_for_text(OFFICER, "+1 438-555-0199 est enregistré", world.step)
    assert not any("438" in t for t in world.texts(ROY))  # a shared number is not relayed

    # The worker presses Call me: the officer gets the worker's number and the answer button.
    world.user.press(ROY, intro["message_id"], data=_button(intro, "Appelez-moi"))
    request = world.user.wait_for_text(OFFICER, "vous demande d'appeler", world.step)
    assert request["text"] == f"{ref} · Marie Roy vous demande d'appeler : +1 514-555-0123"
    world.user.wait_for_text(ROY, "a votre numéro (+1 514-555-0123)", world.step)
    world.user.press(OFFICER, request["message_id"], data=_button(request, "Je vous appelle"))
    world.user.wait_for_text(ROY, f"{ref} · Julie Tremblay vous appelle maintenant.", world.step)
    world.user.wait_for_text(OFFICER, "appelez Marie Roy au +1 514-555-0123", world.step)

    # The officer asks to be called, by command: the worker gets the officer's number.
    world.user.send_text(OFFICER, "/callme")
    world.user.wait_for_text(
        ROY, f"{ref} · Julie Tremblay vous demande d'appeler : +1 438-555-0199", world.step
    )

    # The officer withdraws the number: the worker's "I'm calling you" now says there is none.
    world.user.send_text(OFFICER, "/phone off")
    world.user.wait_for_text(OFFICER, "retiré de Relais", world.step)
    world.user.press(ROY, intro["message_id"], data=_button(intro, "Je vous appelle"))
    world.user.wait_for_text(ROY, "Relais n'a pas de numéro pour Julie Tremblay", world.step)

    c = views.get_view(world.db, views.parse_reference(ref))
    assert c is not None
    kinds = [e.kind for e in events.timeline(world.db, c.id)]
    assert kinds.count(EventKind.CALL_REQUESTED) == 2
    assert kinds.count(EventKind.CALLING) == 1


def test_call_me_in_english_before_anyone_has_the_case_is_refused_clearly(world):
    world.enrol(OFFICER, Role.OFFICER, "Sam Officer", language_code="en")
    world.user.send_text(OFFICER, "/callme")
    world.user.wait_for_text(OFFICER, "once a social worker has your consultation", world.step)


def test_call_buttons_of_a_closed_consultation_say_it_is_closed_and_go(world):
    officer, worker = 7_000_001, 7_000_101
    world.enrol(officer, Role.OFFICER, "Julie Tremblay")
    world.enrol(worker, Role.WORKER, "Sam Wilson", language_code="en")
    world.go_on(worker)
    ref = world.open_consultation(officer, "Homme en crise")
    world.accept(worker, ref)
    accepted = world.user.wait_for_text(officer, f"{ref} acceptée par Sam Wilson", world.step)
    intro = world.user.wait_for(
        worker, lambda m: "Call me" in str(m.get("reply_markup", "")), world.step
    )
    world.user.send_text(officer, "/close")
    world.user.wait_for_text(worker, f"{ref} was closed by", world.step)

    world.user.press(officer, accepted["message_id"], data=_button(accepted, "Appelez-moi"))
    said = world.user.wait_for_text(officer, f"{ref} est fermée", world.step)
    assert "dès qu'un·e intervenant·e" not in said["text"]
    world.user.press(worker, intro["message_id"], data=_button(intro, "I'm calling you"))
    world.user.wait_for_text(worker, f"{ref} is closed", world.step)

    # The dead pair leaves both messages; the officer keeps the scene-cleared row.
    world.user.wait_for(
        worker,
        lambda m: m["message_id"] == intro["message_id"] and "reply_markup" not in m,
        world.step,
        description="the introduction without its call buttons",
    )
    kept = world.user.wait_for(
        officer,
        lambda m: m["message_id"] == accepted["message_id"] and "Appelez" not in str(m),
        world.step,
        description="the accept message without its call buttons",
    )
    labels = [b["text"] for row in kept["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["🧾 N° d'événement", "✅ Lieux libérés"], labels
    assert accepted["text"] == kept["text"]
