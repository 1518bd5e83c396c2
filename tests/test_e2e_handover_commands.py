"""End to end: hand-over commands typed with nothing to hand over are answered about the
reference typed, in the person's language, never with a button's refusal; a second
/takeover repeats nothing."""

from __future__ import annotations

import pytest

from flows import events as event_log
from flows import views
from flows.vocabulary import EventKind, Role
from tests.support.e2e import World

pytestmark = pytest.mark.e2e

OFFICER, ROY, NADEAU, CHIEF = 7_000_001, 7_000_002, 7_000_003, 7_000_004
BUTTON = "This button is not valid for you"


def test_typed_hand_overs_that_cannot_happen_say_why_and_repeat_nothing(world: World):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau", language_code="en")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie", language_code="en")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme en crise")
    world.accept(ROY, ref)

    world.user.send_text(CHIEF, f"/takeover {ref}")
    world.user.wait_for_text(OFFICER, f"{ref} est maintenant suivie par Anne Lavoie", world.step)
    world.user.send_text(CHIEF, f"/takeover {ref}")
    world.user.wait_for_text(CHIEF, f"You already handle {ref}. Nothing was changed.", world.step)
    world.user.send_text(CHIEF, "/takeover C-9999")
    world.user.wait_for_text(CHIEF, "No consultation C-9999.", world.step)
    world.user.send_text(CHIEF, "/reassign C-9999")
    world.user.wait_for_text(CHIEF, "No consultation C-9999.", world.step)
    world.user.send_text(NADEAU, f"/transfer {ref}")
    world.user.wait_for_text(NADEAU, f"{ref} is not yours.", world.step)
    world.user.send_text(NADEAU, "/transfer C-9999")
    world.user.wait_for_text(NADEAU, "No consultation C-9999.", world.step)
    world.user.wait_until_idle(world.step, quiet=0.3)

    cid = views.parse_reference(ref)
    assert cid is not None
    taken = [e for e in event_log.timeline(world.db, cid) if e.kind == EventKind.TAKEN_OVER]
    assert len(taken) == 1
    officer_told = [t for t in world.texts(OFFICER) if "maintenant suivie par" in t]
    assert len(officer_told) == 1
    intros = [t for t in world.texts(CHIEF) if t.startswith(f"{ref} is yours.")]
    assert len(intros) == 1, intros
    assert not any(BUTTON in t for t in world.texts(CHIEF) + world.texts(NADEAU))
