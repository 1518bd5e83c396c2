"""End to end: the bot is killed (SIGKILL) in the middle of a consultation and started
again; whatever was sent meanwhile is relayed once, in order, and the relay goes on."""

from __future__ import annotations

import pytest

from flows import inbox, outbox, views
from flows.vocabulary import ConsultationState, Role
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


def count(world, chat_id, text):
    return sum(text in t for t in world.texts(chat_id))


def test_a_killed_bot_restarts_and_relays_everything_sent_meanwhile_once(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme agité devant l'urgence")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    world.user.send_text(OFFICER, "avant la panne")
    world.user.wait_for_text(ROY, "avant la panne", world.step)
    wait_until(lambda: not inbox.unhandled(world.db), world.step, "every update handled")
    wait_until(lambda: not outbox.unsent(world.db), world.step, "every notice sent and recorded")

    world.bot.kill()
    world.user.send_text(OFFICER, "pendant la panne 1")
    world.user.send_location(OFFICER, 45.5, -73.6)
    world.user.send_text(OFFICER, "pendant la panne 2")
    world.user.send_text(ROY, "réponse pendant la panne")
    world.restart()

    last = world.user.wait_for_text(ROY, "pendant la panne 2", world.step)
    world.user.wait_for_text(OFFICER, "réponse pendant la panne", world.step)
    texts = world.texts(ROY)
    first = next(i for i, t in enumerate(texts) if "pendant la panne 1" in t)
    second = next(i for i, t in enumerate(texts) if "pendant la panne 2" in t)
    assert first < second  # order kept
    assert any(
        "location" in m for m in world.user.messages(ROY) if m["message_id"] < last["message_id"]
    )

    world.user.send_text(OFFICER, "après la reprise")
    world.user.wait_for_text(ROY, "après la reprise", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    for text in ("avant la panne", "pendant la panne 1", "pendant la panne 2", "après la reprise"):
        assert count(world, ROY, text) == 1, text
    assert count(world, OFFICER, "réponse pendant la panne") == 1
    assert views.get_view(world.db, views.parse_reference(ref)).state == ConsultationState.ACTIVE


def test_kills_right_after_each_message_lose_nothing(world):
    """Killed at whatever point the handling had reached: at least once, and the inbox
    keeps duplicates to the rare update handled but not yet marked."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Situation")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    for i in range(4):
        world.user.send_text(OFFICER, f"message {i} avant coupure")
        wait_until(lambda i=i: _stored(world, f"message {i}"), world.step, "the update stored")
        world.bot.kill()
        world.restart()
    for i in range(4):
        world.user.wait_for_text(ROY, f"message {i} avant coupure", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    for i in range(4):
        assert 1 <= count(world, ROY, f"message {i} avant coupure") <= 2


def _stored(world, text):
    return any(text in payload for _, payload in inbox.unhandled(world.db)) or any(
        text in t for t in world.texts(ROY)
    )
