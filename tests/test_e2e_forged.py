"""End to end: forged or stale button presses are refused with a clear answer and change
nothing: unknown data, someone else's consultation, an accept never offered, an outcome for
a case that is not yours, a category after the request was sent."""

from __future__ import annotations

import pytest

from bot import callbacks
from flows import events, views
from flows.vocabulary import Category, ConsultationState, Outcome, Role, Urgency

pytestmark = pytest.mark.e2e

OFFICER, OTHER_OFFICER, ROY, OUTSIDER = 1001, 1002, 2001, 2009
INVALID = "Ce bouton n'est pas valide pour vous. Rien n'a été modifié."


def snapshot(world, cid):
    c = views.get_view(world.db, cid)
    return (
        c.state,
        c.worker.id if c.worker else None,
        c.category,
        c.urgency,
        c.outcome,
        len(events.timeline(world.db, cid)),
    )


def test_forged_and_stale_presses_are_refused_and_change_nothing(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(OTHER_OFFICER, Role.OFFICER, "Luc Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(OUTSIDER, Role.WORKER, "Not Offered")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Situation")
    cid = views.parse_reference(ref)
    assert cid is not None
    card = world.card(ROY, ref)
    before = snapshot(world, cid)
    outsider_msg = world.user.send_text(OUTSIDER, "/status")
    world.user.wait_for_new(OUTSIDER, outsider_msg["message_id"], world.step)
    status_msg = world.user.messages(OUTSIDER)[-1]["message_id"]
    other_msg = world.user.messages(OTHER_OFFICER)[-1]["message_id"]
    officer_msg = world.user.messages(OFFICER)[-1]["message_id"]

    forged = [
        (OUTSIDER, status_msg, "garbage"),
        (OUTSIDER, status_msg, "a:" + "9" * 12),
        (OUTSIDER, status_msg, callbacks.accept(cid)),  # never offered to them
        (OTHER_OFFICER, other_msg, callbacks.urgency(cid, Urgency.ADVICE)),
        (OFFICER, officer_msg, callbacks.accept(cid)),  # wrong role
        (ROY, card["message_id"], callbacks.outcome(cid, Outcome.JUDICIAL)),  # not closed
        (OFFICER, officer_msg, callbacks.category(cid, Category.YOUTH)),  # already sent
    ]
    answers = []
    for user_id, message_id, data in forged:
        query = world.user.press(user_id, message_id, data=data)
        answers.append(world.user.wait_for_callback_answer(query, world.step))
    assert all(a["show_alert"] for a in answers)
    assert [a["text"] for a in answers[:-1]] == [INVALID] * 6
    assert answers[-1]["text"].startswith("Ce bouton n'est plus valide")
    assert snapshot(world, cid) == before
    assert views.get_view(world.db, cid).state == ConsultationState.WAITING
    world.accept(ROY, ref)  # the real button still works afterwards
    assert views.get_view(world.db, cid).state == ConsultationState.ACTIVE
