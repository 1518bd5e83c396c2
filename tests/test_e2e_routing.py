"""End to end, with short configured windows: each escalation tier reaches the people and the
officer it should, a queued consultation goes to whoever comes /on, transfer and take-over
tell everyone, and an escalation survives a SIGKILL of the bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import enrolment, people, roster, views
from flows import events as event_log
from flows.store import Database, utc_now
from flows.vocabulary import ConsultationState, EventKind, Role, Tier
from tests.support.e2e import World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY, GAGNON, NADEAU, CHIEF = 1001, 2001, 2002, 2003, 3001
WINDOW = 2  # seconds to accept an immediate request before escalating
IMMEDIATE = "Immédiate (danger maintenant)"
SHORT = {
    "RELAIS_ACK_IMMEDIATE_SECONDS": str(WINDOW),
    "RELAIS_ACK_URGENT_SECONDS": str(WINDOW),
    "RELAIS_ACK_ADVICE_SECONDS": str(WINDOW),
    "RELAIS_REQUEUE_SECONDS": "600",
    "RELAIS_SWEEP_SECONDS": "1",
}


@pytest.fixture
def fast(db: Database, tmp_path: Path) -> Iterator[World]:
    with running_world(db, tmp_path, SHORT) as world:
        yield world


def person_id(world: World, telegram_id: int) -> int:
    person = people.find_by_telegram_id(world.db, telegram_id)
    assert person is not None
    return person.id


def on_call_all_week(world: World, telegram_id: int) -> None:
    roster.add_shifts(world.db, person_id(world, telegram_id), "tous", "00:00-23:59", True, utc_now)


def events(world: World, ref: str) -> list[EventKind]:
    cid = views.parse_reference(ref)
    assert cid is not None
    return [e.kind for e in event_log.timeline(world.db, cid)]


def test_each_tier_then_the_fallback_then_a_supervisor_accepts(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(GAGNON, Role.WORKER, "Luc Gagnon")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    world.go_on(ROY)
    on_call_all_week(world, GAGNON)

    ref = world.open_consultation(OFFICER, "Homme sur le pont", urgency=IMMEDIATE)
    world.card(ROY, ref)
    world.user.wait_for_text(OFFICER, f"Personne n'a encore accepté {ref}", world.step)
    backup_card = world.card(GAGNON, ref)
    assert backup_card["text"].startswith("⚠ ESCALADÉE")
    world.user.wait_for_text(OFFICER, f"Toujours personne pour {ref}", world.step)
    world.card(CHIEF, ref)
    fallback = world.user.wait_for_text(OFFICER, f"Personne n'a pu prendre {ref}", world.step)
    assert "Info-Social 811" in fallback["text"]

    world.accept(CHIEF, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Anne Lavoie", world.step)
    for worker in (ROY, GAGNON):
        world.user.wait_for_text(worker, "Anne Lavoie", world.step)  # cards say who took it
    kinds = events(world, ref)
    assert kinds.count(EventKind.ESCALATED) == 2
    assert kinds.count(EventKind.FALLBACK_GIVEN) == 1
    assert kinds[-1] == EventKind.ACCEPTED


def test_declining_escalates_at_once_and_a_worker_coming_on_picks_up_the_queue(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Femme désorientée au métro")
    card = world.card(ROY, ref)
    decline = card["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    world.user.press(ROY, card["message_id"], data=decline)
    # nobody else anywhere: the officer gets the fallback without waiting for the window
    world.user.wait_for_text(OFFICER, f"Personne n'a pu prendre {ref}", world.step)
    assert EventKind.DECLINED in events(world, ref)

    world.go_on(NADEAU)
    world.accept(NADEAU, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Anne Nadeau", world.step)


def test_transfer_with_a_note_and_everyone_is_told(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Jeune en fugue")
    world.accept(ROY, ref)
    world.go_on(NADEAU)

    world.user.send_text(ROY, f"/transfer {ref} Il préfère parler anglais")
    prompt = world.user.wait_for_text(ROY, f"{ref} — à qui la confier ?", world.step)
    world.user.press(ROY, prompt["message_id"], text="Anne Nadeau")
    received = world.user.wait_for_text(NADEAU, f"{ref} vous est confiée par Marie Roy", world.step)
    assert "Il préfère parler anglais" in received["text"]
    world.user.wait_for_text(OFFICER, f"{ref} est maintenant suivie par Anne Nadeau", world.step)
    done = world.user.wait_for_text(ROY, f"{ref} est confiée à Anne Nadeau", world.step)
    assert done["message_id"] == prompt["message_id"] and not done.get("reply_markup")

    world.user.send_text(OFFICER, "Il est calme maintenant")
    world.user.wait_for_text(NADEAU, "Il est calme maintenant", world.step)
    world.user.wait_until_idle(world.step, quiet=0.3)
    assert not any("Il est calme maintenant" in t for t in world.texts(ROY))
    assert events(world, ref)[-3:] == [
        EventKind.TRANSFER_REQUESTED,
        EventKind.TRANSFERRED,
        EventKind.MESSAGE_RELAYED,
    ]


def test_a_supervisor_takes_over_from_the_queue(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Aîné confus")
    world.card(ROY, ref)
    world.user.send_text(OFFICER, "Il cherche sa femme")  # kept until someone takes it
    world.user.wait_for_text(OFFICER, f"{ref} : message gardé", world.step)
    world.user.send_text(CHIEF, "/queue")
    queue = world.user.wait_for_text(CHIEF, ref, world.step)
    assert queue.get("reply_markup"), "the queue offers a take-over button"
    world.user.send_text(CHIEF, f"/takeover {ref}")
    world.user.wait_for_text(OFFICER, f"{ref} est maintenant suivie par Anne Lavoie", world.step)
    world.user.wait_for_text(ROY, "Anne Lavoie", world.step)  # Roy's card says who has it
    world.user.wait_for_text(CHIEF, "Il cherche sa femme", world.step)
    world.user.send_text(OFFICER, "Il ne sait plus où il habite")
    world.user.wait_for_text(CHIEF, "Il ne sait plus où il habite", world.step)
    assert EventKind.TAKEN_OVER in events(world, ref)


def test_an_escalation_due_while_the_bot_was_down_fires_at_once_on_restart(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(GAGNON, Role.WORKER, "Luc Gagnon")
    world.go_on(ROY)
    on_call_all_week(world, GAGNON)
    ref = world.open_consultation(OFFICER, "Homme armé d'un couteau, seul", urgency=IMMEDIATE)
    world.card(ROY, ref)
    world.bot.kill()
    cid = views.parse_reference(ref)
    assert cid is not None
    view = views.get_view(world.db, cid)
    assert view is not None and view.tier == Tier.AVAILABLE
    submitted_at = view.submitted_at
    assert submitted_at is not None
    due = submitted_at.timestamp() + WINDOW
    wait_until(lambda: utc_now().timestamp() > due + 1, WINDOW + 5, "the window to pass")
    assert views.get_view(world.db, cid).tier == Tier.AVAILABLE  # nothing moved while down

    world.restart()
    world.card(GAGNON, ref)
    world.user.wait_for_text(OFFICER, f"Personne n'a encore accepté {ref}", world.step)
    world.accept(GAGNON, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Luc Gagnon", world.step)
    assert events(world, ref).count(EventKind.ESCALATED) == 1
    assert views.get_view(world.db, cid).state == ConsultationState.ACTIVE


def test_an_escalation_pending_at_a_restart_fires_on_time_after_it(
    db: Database, tmp_path: Path
) -> None:
    slower = {**SHORT, "RELAIS_ACK_IMMEDIATE_SECONDS": "8"}
    with running_world(db, tmp_path, slower) as world:
        world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
        world.enrol(ROY, Role.WORKER, "Marie Roy")
        world.enrol(GAGNON, Role.WORKER, "Luc Gagnon")
        world.go_on(ROY)
        on_call_all_week(world, GAGNON)
        ref = world.open_consultation(OFFICER, "Femme en détresse", urgency=IMMEDIATE)
        world.card(ROY, ref)
        world.bot.kill()
        world.restart()  # back well before the 8 s window ends
        world.card(GAGNON, ref)
        cid = views.parse_reference(ref)
        assert cid is not None
        [escalated] = [e for e in event_log.timeline(db, cid) if e.kind == EventKind.ESCALATED]
        submitted = views.get_view(db, cid).submitted_at
        assert submitted is not None
        late = (escalated.at - submitted).total_seconds() - 8
        assert late >= 0, f"escalated {-late:.1f}s early"


def test_going_off_with_a_consultation_in_hand_asks_to_hand_it_on(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Voisin inquiet pour une dame âgée")
    world.accept(ROY, ref)
    world.go_on(NADEAU)
    world.user.send_text(ROY, "/off")
    asked = world.user.wait_for_text(ROY, "Vous avez encore des consultations actives", world.step)
    assert ref in asked["text"]
    world.user.press(ROY, asked["message_id"], text=f"Transférer {ref}")
    prompt = world.user.wait_for_text(ROY, f"{ref} — à qui la confier ?", world.step)
    world.user.press(ROY, prompt["message_id"], text="Anne Nadeau")
    world.user.wait_for_text(OFFICER, f"{ref} est maintenant suivie par Anne Nadeau", world.step)
    world.user.wait_for_text(NADEAU, f"{ref} vous est confiée par Marie Roy", world.step)


def test_a_supervisor_manages_the_roster_from_the_bot(fast: World):
    world = fast
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Lavoie")
    roy = person_id(world, ROY)
    world.user.send_text(CHIEF, f"/shifts add {roy} lun-ven 08:00-16:00")
    added = world.user.wait_for_text(CHIEF, "Ajouté à l'horaire", world.step)
    assert added["text"].count("Marie Roy") == 5
    world.user.send_text(CHIEF, f"/shifts add {roy} someday 08:00-16:00")
    world.user.wait_for_text(CHIEF, "someday", world.step)
    world.user.send_text(CHIEF, "/shifts")
    listing = world.user.wait_for_text(CHIEF, "Horaire (n° · jour · heures · personne)", world.step)
    assert listing["text"].count("08:00–16:00") == 5
    world.user.send_text(ROY, "/shifts")
    world.user.wait_for_text(ROY, "pas disponible pour votre rôle", world.step)
    assert len(roster.list_shifts(world.db)) == 5


def test_revoking_a_worker_puts_their_consultation_back_in_the_queue(fast: World):
    world = fast
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.enrol(NADEAU, Role.WORKER, "Anne Nadeau")
    world.go_on(ROY)
    world.go_on(NADEAU)
    ref = world.open_consultation(OFFICER, "Homme en crise au dépanneur")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)

    enrolment.revoke(world.db, person_id(world, ROY), utc_now)  # as `relais users revoke` does
    world.user.wait_for_text(OFFICER, f"{ref} : la personne qui suivait", world.step)
    world.user.send_text(OFFICER, "Il se calme")
    world.accept(NADEAU, ref)
    world.user.wait_for_text(OFFICER, f"{ref} acceptée par Anne Nadeau", world.step)
    world.user.wait_for_text(NADEAU, "Il se calme", world.step)
    assert EventKind.REQUEUED in events(world, ref)
