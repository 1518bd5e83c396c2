"""End to end, on SQLite and PostgreSQL: workers pressing Accept in the same instant (the
presses reach the bot in one getUpdates batch and are handled concurrently) give exactly
one winner, every time; the others are told who took it. A late press on a case taken then
closed leaves the card naming who took it."""

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


def test_a_late_accept_on_a_case_taken_then_closed_keeps_the_card_naming_who_took_it(world):
    officer, roy, wilson = 7_000_001, 7_000_101, 7_000_102
    world.enrol(officer, Role.OFFICER, "Julie Tremblay")
    world.enrol(roy, Role.WORKER, "Marie Roy")
    world.enrol(wilson, Role.WORKER, "Sam Wilson", language_code="en")
    world.go_on(roy)
    world.go_on(wilson)
    ref = world.open_consultation(officer, "Homme en crise")
    late_card = world.card(wilson, ref)
    world.accept(roy, ref)
    world.user.wait_for_text(wilson, "Taken by Marie Roy", world.step)
    world.user.send_text(officer, "/close")
    world.user.wait_for_text(roy, f"{ref} a été fermée par", world.step)

    query = world.user.press(wilson, late_card["message_id"], data=card_button(late_card))
    answer = world.user.wait_for_callback_answer(query, world.step)
    assert answer["text"] == "This request is already closed."
    world.user.wait_until_idle(world.step, quiet=0.5)
    [card] = [m for m in world.user.messages(wilson) if m["message_id"] == late_card["message_id"]]
    assert card["text"].endswith("→ Taken by Marie Roy."), card["text"]
    assert "before anyone accepted" not in card["text"]


def test_a_late_accept_on_a_case_closed_before_anyone_took_it_says_so(world):
    officer, wilson = 7_000_001, 7_000_102
    world.enrol(officer, Role.OFFICER, "Julie Tremblay")
    world.enrol(wilson, Role.WORKER, "Sam Wilson", language_code="en")
    world.go_on(wilson)
    ref = world.open_consultation(officer, "Homme en crise")
    card = world.card(wilson, ref)
    world.user.send_text(officer, "/close")
    world.user.wait_for_text(wilson, "before anyone accepted", world.step)

    query = world.user.press(wilson, card["message_id"], data=card_button(card))
    assert world.user.wait_for_callback_answer(query, world.step)["text"] == (
        "This request is already closed."
    )
    world.user.wait_until_idle(world.step, quiet=0.5)
    [now] = [m for m in world.user.messages(wilson) if m["message_id"] == card["message_id"]]
    assert now["text"].endswith("→ Closed by the officer before anyone accepted.")
