"""End to end: what a use case committed is sent even when the bot is killed (SIGKILL)
before it went out. Each case holds one recipient's sends (the sandbox answers 502 until told
otherwise), waits until the notice is committed and not sent, kills the bot, lets Telegram
answer again and restarts: the notice arrives once, and the consultation goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.models import OutboxNotice
from flows.store import Database
from flows.vocabulary import NoticeKind, OutboxState, Role
from tests.support.e2e import World, running_world
from tests.support.waiting import wait_until
from tests.test_e2e_directory import directory_text

pytestmark = pytest.mark.e2e

OFFICER, ROY, CHIEF = 1001, 2001, 3001
IMMEDIATE = "Immédiate (danger maintenant)"
WINDOW = 2


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    directory = tmp_path / "directory.yaml"
    directory.write_text(directory_text())
    env = {
        "RELAIS_DIRECTORY_PATH": str(directory),
        "RELAIS_ACK_IMMEDIATE_SECONDS": str(WINDOW),
        "RELAIS_ACK_URGENT_SECONDS": str(WINDOW),
        "RELAIS_ACK_ADVICE_SECONDS": str(WINDOW),
        "RELAIS_REQUEUE_SECONDS": "600",
        "RELAIS_SWEEP_SECONDS": "1",
    }
    with running_world(db, tmp_path, env=env) as running:
        yield running


def pending(world: World, chat_id: int, kind: NoticeKind) -> bool:
    return _in_state(world, chat_id, kind, OutboxState.PENDING)


def sent(world: World, chat_id: int, kind: NoticeKind) -> bool:
    """Sent and recorded: a kill from now on cannot send it again."""
    return _in_state(world, chat_id, kind, OutboxState.SENT)


def _in_state(world: World, chat_id: int, kind: NoticeKind, state: OutboxState) -> bool:
    with world.db.unit_of_work() as session:
        found = session.scalar(
            select(OutboxNotice.id).where(
                OutboxNotice.chat_id == chat_id,
                OutboxNotice.kind == kind,
                OutboxNotice.state == state,
            )
        )
        return found is not None


def hold_sends_to(world: World, chat_id: int) -> None:
    """Telegram answers 502 to every message for this chat until clear_faults."""
    world.user.inject_error(method="sendMessage", chat_id=chat_id, count=10_000)


def kill_and_restart_with_telegram_back(world: World) -> None:
    world.bot.kill()
    world.user.clear_faults()
    world.restart()


def count(world: World, chat_id: int, text: str) -> int:
    return sum(text in t for t in world.texts(chat_id))


def test_an_offer_card_in_flight_reaches_the_only_available_worker_after_a_crash(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    hold_sends_to(world, ROY)
    ref = world.open_consultation(OFFICER, "Homme agité devant la gare")
    assert any("disponibles maintenant : 1" in t for t in world.texts(OFFICER))
    wait_until(lambda: pending(world, ROY, NoticeKind.OFFER_CARD), world.step, "card committed")

    kill_and_restart_with_telegram_back(world)

    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert count(world, ROY, f"{ref}\n") == 1  # the card, once


def test_an_escalation_steps_card_in_flight_reaches_the_supervisor_after_a_crash(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    world.go_on(ROY)
    hold_sends_to(world, CHIEF)
    ref = world.open_consultation(OFFICER, "Femme sur le toit", urgency=IMMEDIATE)
    world.card(ROY, ref)
    wait_until(
        lambda: pending(world, CHIEF, NoticeKind.OFFER_CARD), WINDOW + 15, "supervisor's card"
    )
    world.user.wait_for_text(OFFICER, f"Toujours personne pour {ref}", world.step)
    wait_until(lambda: sent(world, OFFICER, NoticeKind.ESCALATED), world.step, "recorded")

    kill_and_restart_with_telegram_back(world)

    world.accept(CHIEF, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Anne Lavoie", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert count(world, CHIEF, f"{ref}\n") == 1
    assert count(world, OFFICER, f"Toujours personne pour {ref}") == 1


def test_the_officers_resources_after_the_cards_arrive_after_a_crash(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    world.user.send_text(OFFICER, "Homme sans abri, hypothermie")
    prompt = world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
    world.user.press(OFFICER, prompt["message_id"], text="Itinérance")
    world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] == prompt["message_id"] and "Quelle urgence" in m["text"],
        world.step,
        description="the urgency question",
    )
    hold_sends_to(world, OFFICER)
    world.user.press(OFFICER, prompt["message_id"], text="Urgente (dans l'heure)")
    world.user.wait_for_text(ROY, "Homme sans abri", world.step)
    wait_until(lambda: pending(world, OFFICER, NoticeKind.TOP_THREE), world.step, "resources")
    wait_until(lambda: sent(world, ROY, NoticeKind.OFFER_CARD), world.step, "card recorded")

    kill_and_restart_with_telegram_back(world)

    world.user.wait_for_text(OFFICER, "envoyée", world.step)
    world.user.wait_for_text(OFFICER, "ressources ouvertes maintenant", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    assert count(world, OFFICER, "envoyée") == 1
    assert count(world, OFFICER, "ressources ouvertes maintenant") == 1
    assert count(world, ROY, "Homme sans abri") == 1
