"""End to end: a worker planning a follow-up for a closed case (the bot asks for its note)
while another officer waits on them. Their next plain line is held and they choose with one
tap: passed on, it reaches that officer; taken as the note, it reaches nobody."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flows import conversation, people, views
from flows.models import FollowUp
from flows.store import utc_now
from flows.vocabulary import InputKind, Role

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_2, ROY = 7_000_001, 7_000_002, 7_000_101
WHICH = "Ce message est-il pour Luc Côté"


def asked_for_a_note_while_luc_waits(world) -> tuple[str, str]:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(OFFICER_2, Role.OFFICER, "Luc Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    first = world.open_consultation(OFFICER, "Situation un")
    world.accept(ROY, first)
    second = world.open_consultation(OFFICER_2, "Situation deux")
    world.accept(ROY, second)
    world.user.wait_for_text(ROY, f"{second} est à vous", world.step)
    world.user.send_text(OFFICER, "/close")
    prompt = world.user.wait_for_text(ROY, "Quel est le résultat", world.step)
    world.user.press(ROY, prompt["message_id"], text="Réglé sur place")
    plan = world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)
    world.user.press(ROY, plan["message_id"], text="Dans 24 h")
    world.user.wait_for_text(ROY, "note", world.step)
    return first, second


def test_a_line_held_and_passed_on_reaches_the_waiting_officer(world):
    first, second = asked_for_a_note_while_luc_waits(world)
    world.user.send_text(ROY, "Proposez-lui de s'asseoir devant, parlez doucement")
    question = world.user.wait_for_text(ROY, WHICH, world.step)
    assert f"({second})" in question["text"] and first in question["text"]
    assert not any("parlez doucement" in t for t in world.texts(OFFICER_2))  # not yet

    world.user.press(ROY, question["message_id"], text="↪ Transmettre")
    world.user.wait_for_text(
        OFFICER_2, f"{second} · Marie Roy :\nProposez-lui de s'asseoir devant", world.step
    )


def test_a_line_held_and_taken_as_the_note_reaches_nobody(world):
    _first, _second = asked_for_a_note_while_luc_waits(world)
    world.user.send_text(ROY, "Rappeler sa sœur demain avant midi")
    question = world.user.wait_for_text(ROY, WHICH, world.step)

    world.user.press(ROY, question["message_id"], text="✎ C'est ma réponse")
    world.user.wait_for_text(ROY, "Note enregistrée", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert not any("sa sœur" in t for t in world.texts(OFFICER_2) + world.texts(OFFICER))


def test_the_choice_buttons_go_once_tapped_and_a_stale_one_is_answered(world):
    """Two lines before a choice: two questions, one choice for both. The tapped question
    loses its buttons; the other one's, tapped after, says the choice was made."""
    _first, second = asked_for_a_note_while_luc_waits(world)
    world.user.send_text(ROY, "Parlez-lui de sa fille")
    one = world.user.wait_for_text(ROY, WHICH, world.step)
    world.user.send_text(ROY, "Elle habite à Laval")
    other = world.user.wait_for(
        ROY,
        lambda m: m["message_id"] > one["message_id"] and WHICH in m.get("text", ""),
        world.step,
        description="the second question",
    )

    query = world.user.press(ROY, one["message_id"], text="↪ Transmettre")
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for(
        ROY,
        lambda m: m["message_id"] == one["message_id"] and not m.get("reply_markup"),
        world.step,
        description="the tapped question without its buttons",
    )
    both = f"{second} · Marie Roy :\nParlez-lui de sa fille\nElle habite à Laval"
    world.user.wait_for_text(OFFICER_2, both, world.step)

    query = world.user.press(ROY, other["message_id"], text="✎ C'est ma réponse")
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(ROY, "Ce choix a déjà été fait", world.step)
    world.user.wait_for(
        ROY,
        lambda m: m["message_id"] == other["message_id"] and not m.get("reply_markup"),
        world.step,
        description="the stale question without its buttons",
    )


def test_a_tap_on_a_question_about_a_line_no_longer_held_settles_nothing(world):
    """A line held, then the bot asks again (the line is dropped with its question) and a
    new line is held: the old question's buttons name the old line, so tapped they pass on
    nothing and say the choice was made; the new question settles the new line."""
    first, second = asked_for_a_note_while_luc_waits(world)
    world.user.send_text(ROY, "Parlez-lui de sa fille")
    old = world.user.wait_for_text(ROY, WHICH, world.step)
    roy = people.find_by_telegram_id(world.db, ROY)
    assert roy is not None
    with world.db.unit_of_work() as session:  # the note asked again, as a new question does
        closed = views.parse_reference(first)
        followup = session.scalar(select(FollowUp.id).where(FollowUp.consultation_id == closed))
        assert followup is not None
        conversation.expect(session, roy.id, InputKind.NOTE, followup, utc_now())
    world.user.send_text(ROY, "Elle habite à Laval")
    new = world.user.wait_for(
        ROY,
        lambda m: m["message_id"] > old["message_id"] and WHICH in m.get("text", ""),
        world.step,
        description="the question about the new line",
    )

    query = world.user.press(ROY, old["message_id"], text="↪ Transmettre")
    world.user.wait_for_callback_answer(query, world.step)
    world.user.wait_for_text(ROY, "Ce choix a déjà été fait", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert not any("Laval" in t for t in world.texts(OFFICER_2) + world.texts(OFFICER))

    world.user.press(ROY, new["message_id"], text="↪ Transmettre")
    world.user.wait_for_text(OFFICER_2, f"{second} · Marie Roy :\nElle habite à Laval", world.step)


def test_a_question_asked_before_the_upgrade_still_settles_the_line_held(world):
    """Its buttons named the holder ("ka"), not the line: refused as forged after the
    upgrade, the line stayed held, not relayed, while the worker thought it went."""
    from bot.callbacks import HELD_LINE_BY_HOLDER

    _first, second = asked_for_a_note_while_luc_waits(world)
    world.user.send_text(ROY, "Gardez-le assis, j'arrive")
    question = world.user.wait_for_text(ROY, WHICH, world.step)
    roy = people.find_by_telegram_id(world.db, ROY)
    assert roy is not None
    world.user.press(ROY, question["message_id"], data=HELD_LINE_BY_HOLDER.data(roy.id, True))
    world.user.wait_for_text(OFFICER_2, f"{second} · Marie Roy :\nGardez-le assis", world.step)
    other = people.find_by_telegram_id(world.db, OFFICER)
    assert other is not None
    forged = world.user.press(
        ROY, question["message_id"], data=HELD_LINE_BY_HOLDER.data(other.id, True)
    )
    assert "pas valide" in world.user.wait_for_callback_answer(forged, world.step)["text"]
