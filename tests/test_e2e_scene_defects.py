"""End to end: what stays on the officer's and the worker's screens once it no longer
applies. The summary's optional key question goes at the accept (the key goes by /key from
then on)."""

from __future__ import annotations

import pytest

from flows.vocabulary import Role

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001
IMMEDIATE = "Immédiate (danger maintenant)"
KEY_QUESTION = "Facultatif : écrivez les initiales"


def officer_and_worker(world) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)


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

