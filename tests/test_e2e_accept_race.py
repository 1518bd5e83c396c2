"""End to end, on SQLite and PostgreSQL: workers pressing Accept in the same instant (the
presses reach the bot in one getUpdates batch and are handled concurrently) give exactly
one winner, every time; the others are told who took it."""

from __future__ import annotations

import pytest

from flows import events, views
from flows.vocabulary import EventKind, Role
from tests.support.e2e import card_button

pytestmark = pytest.mark.e2e

OFFICER = 1001
WORKERS = (2001, 2002, 2003)
ROUNDS = 8


def test_simultaneous_accepts_have_exactly_one_winner_every_time(world_any_db):
    world = world_any_db
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    for i, worker in enumerate(WORKERS):
        world.enrol(worker, Role.WORKER, f"Worker {i}")
        world.go_on(worker)
    for round_ in range(ROUNDS):
        ref = world.open_consultation(OFFICER, f"Situation {round_}")
        cards = {w: world.card(w, ref) for w in WORKERS}
        queries = world.user.press_many(
            [
                {"user_id": w, "message_id": cards[w]["message_id"], "data": card_button(cards[w])}
                for w in WORKERS
            ]
        )
        answers = [world.user.wait_for_callback_answer(q, world.step)["text"] for q in queries]
        winners = [a for a in answers if a == f"{ref} est à vous."]
        losers = [a for a in answers if a.startswith("Déjà prise par Worker")]
        assert (len(winners), len(losers)) == (1, len(WORKERS) - 1), answers
        cid = views.parse_reference(ref)
        assert [e.kind for e in events.timeline(world.db, cid)].count(EventKind.ACCEPTED) == 1
        officer_told = world.user.wait_for_text(OFFICER, f"{ref} acceptée par", world.step)
        winner = views.get_view(world.db, cid).worker
        assert officer_told["text"].startswith(f"{ref} acceptée par {winner.display_name}")
        world.user.send_text(OFFICER, "/close")
        world.user.wait_for_text(OFFICER, f"{ref} fermée", world.step)
