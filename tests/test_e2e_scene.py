"""End to end: where the scene is. After the urgency the officer is invited to share the
location in one tap (Telegram's location button); the workers offered the case see only its
area on their card, the one who takes it gets the exact point, and the officer's resources
are listed nearest first."""

from __future__ import annotations

import pytest

from flows.vocabulary import Role

pytestmark = pytest.mark.e2e

OFFICER, ROY, WILSON = 1001, 2001, 2002


def test_the_area_on_the_cards_the_exact_point_to_the_holder(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(WILSON, Role.WORKER, "Sam Wilson", language_code="en")
    world.go_on(ROY)
    world.go_on(WILSON)
    ref = world.open_consultation(OFFICER, "Homme agité sur le quai du métro")
    world.user.wait_for_text(OFFICER, f"{ref} : où est la scène ?", world.step)
    keyboard = world.user.reply_keyboard(OFFICER)
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_location"] is True
    card_fr, card_en = world.card(ROY, ref), world.card(WILSON, ref)

    world.user.send_location(OFFICER, 45.52271, -73.53961)
    world.user.wait_for_text(OFFICER, f"{ref} : position gardée", world.step)
    for worker, card, words in (
        (ROY, card_fr, "Secteur : à environ 1 km de 45.52, -73.54"),
        (WILSON, card_en, "Area: within about 1 km of 45.52, -73.54"),
    ):
        world.user.wait_for(
            worker,
            lambda m, card=card, words=words: (
                m["message_id"] == card["message_id"] and words in m.get("text", "")
            ),
            world.step,
            description="the card redrawn with the area",
        )
    assert not any("45.5227" in t for t in world.texts(ROY))  # not the exact point yet

    world.accept(ROY, ref)
    exact = world.user.wait_for(ROY, lambda m: "location" in m, world.step)
    assert exact["location"]["latitude"] == pytest.approx(45.52271)
    assert exact["location"]["longitude"] == pytest.approx(-73.53961)
    assert not any("location" in m for m in world.user.messages(WILSON))
