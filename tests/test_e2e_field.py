"""End to end: the officer's first minute, counted. From the first message, an immediate
request with the shipped screening questions and the scene's location takes two taps before
it is out (the issue allows three), and the worker's card is there before any question is
answered; the answers and the area then reach that same card. (How fast the card arrives
after the urgency tap is measured by bench/field.py, not asserted here.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.vocabulary import Role
from tests.support.e2e import running_world

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001
SHIPPED = Path(__file__).resolve().parents[1] / "screening.yaml"


def test_an_immediate_request_is_out_after_two_taps_then_the_scene_fills_the_card(db, tmp_path):
    with running_world(db, tmp_path, {"RELAIS_SCREENING_PATH": str(SHIPPED)}) as world:
        world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
        world.enrol(ROY, Role.WORKER, "Marie Roy")
        world.go_on(ROY)
        taps = typed = 0

        world.user.send_text(OFFICER, "Homme sur le parapet du pont, il menace de sauter")
        typed += 1
        prompt = world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
        world.user.press(OFFICER, prompt["message_id"], text="Risque suicidaire")
        taps += 1
        world.user.wait_for(
            OFFICER, lambda m: "Quelle urgence" in m.get("text", ""), world.step,
            description="the urgency question",
        )  # fmt: skip
        world.user.press(OFFICER, prompt["message_id"], text="Immédiate (danger maintenant)")
        taps += 1
        card = world.user.wait_for(
            ROY, lambda m: bool(m.get("reply_markup")) and "C-0001" in m.get("text", ""),
            world.step, description="the worker's card",
        )  # fmt: skip
        assert (typed, taps) == (1, 2)  # the request is out: at most 3 taps, here 2
        assert "Sur place" not in card["text"]  # it did not wait for the questions

        question = world.user.wait_for_text(OFFICER, "question 1 sur 4", world.step)
        yes = next(
            b["callback_data"]
            for row in question["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == "Oui"
        )
        world.user.press(OFFICER, question["message_id"], data=yes)
        world.user.send_location(OFFICER, 45.5090, -73.5530)
        world.user.wait_for(
            ROY,
            lambda m: (
                m["message_id"] == card["message_id"]
                and "Une arme est-elle présente ou à portée ? Oui" in m.get("text", "")
                and "Secteur : à environ 1 km de 45.51, -73.55" in m.get("text", "")
            ),
            world.step,
            description="the same card with the answer and the area",
        )
