"""End to end: a message edited after it was sent is never acted on. A relayed line's edit
is not passed on (the sender is told to send a new message), and a command edited into
another (/status into /close) does not run: an officer correcting a typo must not close
the consultation or start a hand-over."""

from __future__ import annotations

import pytest

from flows import views
from flows.vocabulary import ConsultationState, Role

pytestmark = pytest.mark.e2e

OFFICER, ROY = 7_000_101, 7_000_201
NOT_PASSED_ON = "Les modifications ne sont pas transmises"


def accepted(world) -> str:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme agité devant la gare.")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    return ref


def test_an_edited_line_is_not_passed_on_and_the_sender_is_told(world):
    ref = accepted(world)
    sent = world.user.send_text(OFFICER, "Il a un couteau.")
    world.user.wait_for_text(ROY, "Il a un couteau.", world.step)
    worker_before = world.last_id(ROY)
    officer_before = world.last_id(OFFICER)

    world.user.edit_text(OFFICER, sent["message_id"], "Il a lâché le couteau.")

    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > officer_before and NOT_PASSED_ON in m.get("text", ""),
        world.step,
        description="the officer told the edit was not passed on",
    )
    world.user.send_text(OFFICER, "Il a lâché le couteau.")  # sent again, as told
    world.user.wait_for_text(ROY, f"{ref} · Julie Tremblay :\nIl a lâché le couteau.", world.step)
    after = [m for m in world.user.messages(ROY) if m["message_id"] > worker_before]
    assert len(after) == 1  # the new message only, never the edit


@pytest.mark.parametrize("edited_into", ["/close", "/transfer"])
def test_a_command_edited_into_another_does_not_run(world, edited_into):
    ref = accepted(world)
    sent = world.user.send_text(ROY, "/status")
    world.user.wait_for_text(ROY, f"Consultations actives (1/3) : {ref}", world.step)
    before = world.last_id(ROY)

    world.user.edit_text(ROY, sent["message_id"], edited_into)

    told = world.user.wait_for(
        ROY,
        lambda m: m["message_id"] > before and bool(m.get("text")),
        world.step,
        description="the answer to the edit",
    )
    assert NOT_PASSED_ON in told["text"]
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert [m["message_id"] for m in world.user.messages(ROY) if m["message_id"] > before] == [
        told["message_id"]
    ]  # no outcome question, no "to whom" question
    view = views.get_view(world.db, views.parse_reference(ref))
    assert view is not None and view.state == ConsultationState.ACTIVE
