"""End to end: what the officer is told at submission matches what happens next (the count is
the social workers who can take it now, and an escalation at once says so), and the /reassign
picker lists only those who can take the consultation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.store import Database
from flows.vocabulary import Role
from tests.support.e2e import World, running_world

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_2, ROY, WILSON, CHIEF = 1101, 1102, 2101, 2102, 3101
ONE_EACH = {"RELAIS_WORKER_CAPACITY": "1", "RELAIS_SWEEP_SECONDS": "600"}


@pytest.fixture
def capacity_one(db: Database, tmp_path: Path) -> Iterator[World]:
    with running_world(db, tmp_path, ONE_EACH) as world:
        yield world


def _submitted(world: World, officer: int, ref: str) -> list[str]:
    """Everything the officer was told about who can take ref once the bot has gone quiet
    (the invitation to share the scene's location aside)."""
    world.user.wait_until_idle(world.step, quiet=0.5)
    return [t for t in world.texts(officer) if ref in t and "où est la scène" not in t]


def test_with_only_a_supervisor_the_officer_is_not_told_a_worker_is_available(world: World):
    world.enrol(OFFICER, Role.OFFICER, "Agent Julie Tremblay")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")

    ref = world.open_consultation(OFFICER, "Homme agité dans un parc")

    told = _submitted(world, OFFICER, ref)
    assert not any("disponibles maintenant : 1" in text for text in told), told
    assert any("j'alerte les superviseur·e·s" in text for text in told), told
    card = world.card(CHIEF, ref)
    assert "personne n'a accepté à temps" not in card["text"], card["text"]
    assert "aucun·e intervenant·e en service" in card["text"], card["text"]


def test_a_worker_at_capacity_is_not_counted_as_available(capacity_one: World):
    world = capacity_one
    world.enrol(OFFICER, Role.OFFICER, "Agent Julie Tremblay")
    world.enrol(OFFICER_2, Role.OFFICER, "Agent Marc Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    first = world.open_consultation(OFFICER, "Femme en détresse")
    world.accept(ROY, first)  # Roy is now full

    ref = world.open_consultation(OFFICER_2, "Jeune en fugue")

    told = _submitted(world, OFFICER_2, ref)
    assert not any("disponibles maintenant : 1" in text for text in told), told
    assert any("de garde et occupé·e·s" in text for text in told), told
    assert len(told) == 2, told  # the summary of the request, then one line: no contradiction


def test_the_reassign_picker_lists_only_those_who_can_take_it(capacity_one: World):
    world = capacity_one
    world.enrol(OFFICER, Role.OFFICER, "Agent Julie Tremblay")
    world.enrol(OFFICER_2, Role.OFFICER, "Agent Marc Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(WILSON, Role.WORKER, "Sam Wilson")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    world.go_on(ROY)
    world.go_on(WILSON)
    first = world.open_consultation(OFFICER, "Femme en détresse")
    world.accept(ROY, first)  # Roy is now full
    ref = world.open_consultation(OFFICER_2, "Jeune en fugue")

    world.user.send_text(CHIEF, f"/reassign {ref}")

    prompt = world.user.wait_for_text(CHIEF, f"{ref} — à qui la confier ?", world.step)
    names = [b["text"] for row in prompt["reply_markup"]["inline_keyboard"] for b in row]
    assert names == ["Sam Wilson"], names
