"""End to end through the sandbox: /resources with words and with category buttons, paging,
details, nearest first after a shared location, the officer's top three when a request goes
out, a worker sending a resource into a consultation (recorded), /reload with a broken file
keeping the old directory, and start-up refusing a broken file with its report."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import events, views
from flows.store import Database
from flows.vocabulary import EventKind, Role
from tests.support.e2e import World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY, CHIEF = 1001, 2001, 3001
HEADER = """schema_version: 1
timezone: America/Montreal
synonyms:
  - words: [itinérant, homeless, sans-abri]
    categories: [shelter]
services:
"""


def service(n: int, category: str, name_fr: str, name_en: str, lat: float) -> str:
    return f"""  - id: svc-{n}
    organization: Test org
    name:
      fr: {name_fr} {n}
      en: {name_en} {n}
    description:
      fr: Service de test
      en: Test service
    categories: [{category}]
    phone: 514-555-02{n:02d}
    location:
      address: Test {n}
      latitude: {lat}
      longitude: -73.57
    hours: "24/7"
    languages: [fr, en]
    last_verified: 2026-10-01
"""


CLOSED_FOR_GOOD = '"24/7"\n    closures:\n      - {from: 2000-01-01, to: 2099-12-31}'


def directory_text(extra: int = 0, closed: int = 0) -> str:
    """8 shelters, a crisis line, a clinic; `extra` kitchens; `closed` shelters never open."""
    shelters = [service(n, "shelter", "Refuge", "Shelter", 45.40 + n / 100) for n in range(1, 9)]
    others = [
        service(9, "crisis_line", "Ligne de crise", "Crisis line", 45.50),
        service(10, "mental_health_clinic", "Clinique", "Clinic", 45.51),
    ]
    added = [service(10 + n, "food", "Cuisine", "Kitchen", 45.52) for n in range(1, extra + 1)]
    shut = [
        service(20 + n, "shelter", "Refuge fermé", "Closed shelter", 45.48).replace(
            '"24/7"', CLOSED_FOR_GOOD
        )
        for n in range(1, closed + 1)
    ]
    return HEADER + "".join(shelters + others + added + shut)


@pytest.fixture
def directory_file(tmp_path: Path) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(directory_text())
    return path


@pytest.fixture
def world(db: Database, tmp_path: Path, directory_file: Path) -> Iterator[World]:
    env = {"RELAIS_DIRECTORY_PATH": str(directory_file), "RELAIS_DIRECTORY_CHECK_SECONDS": "3600"}
    with running_world(db, tmp_path, env=env) as running:
        yield running


def test_resources_with_words_pages_on_and_shows_details(world: World) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/resources itinérant")
    first = world.user.wait_for_text(OFFICER, "« itinérant » : 1–5 sur 8", world.step)
    assert "☎ 514-555-02" in first["text"] and "ouvert" in first["text"]
    world.user.press(OFFICER, first["message_id"], text="Plus ▸")
    second = world.user.wait_for_text(OFFICER, "« itinérant » : 6–8 sur 8", world.step)
    assert "Plus ▸" not in str(second.get("reply_markup"))
    world.user.press(OFFICER, first["message_id"], text="ℹ 1")
    details = world.user.wait_for_text(OFFICER, "Heures : 24/7", world.step)
    assert "Tél. : 514-555-02" in details["text"]
    assert not details.get("reply_markup")  # officers send nothing on: no Send button


@pytest.fixture
def world_with_closed(db: Database, tmp_path: Path) -> Iterator[World]:
    """The same directory plus two shelters that are never open."""
    path = tmp_path / "directory.yaml"
    path.write_text(directory_text(closed=2))
    with running_world(db, tmp_path, env={"RELAIS_DIRECTORY_PATH": str(path)}) as running:
        yield running


def test_open_now_in_the_words_is_a_filter_and_a_button_toggles_it(
    world_with_closed: World,
) -> None:
    world = world_with_closed
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/resources refuge ouvert maintenant")
    only_open = world.user.wait_for_text(OFFICER, "« refuge » : 1–5 sur 8", world.step)
    assert "ouverts maintenant seulement" in only_open["text"]
    assert "fermé" not in only_open["text"]
    world.user.press(OFFICER, only_open["message_id"], text="Ouverts ou non")
    everything = world.user.wait_for_text(OFFICER, "« refuge » : 1–5 sur 10", world.step)
    assert "seulement" not in everything["text"]
    world.user.press(OFFICER, everything["message_id"], text="Plus ▸")
    last = world.user.wait_for_text(OFFICER, "« refuge » : 6–10 sur 10", world.step)
    assert last["text"].count("· fermé") == 2  # the closed ones come last
    world.user.press(OFFICER, last["message_id"], text="Ouverts maintenant")
    again = world.user.wait_for(
        OFFICER,
        lambda m: m["message_id"] > last["message_id"] and "1–5 sur 8" in m.get("text", ""),
        world.step,
        description="open ones only again",
    )
    assert "ouverts maintenant seulement" in again["text"]


def test_category_buttons_then_nearest_after_a_shared_location(world: World) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/resources")
    prompt = world.user.wait_for_text(OFFICER, "Quel type de ressource", world.step)
    world.user.press(OFFICER, prompt["message_id"], text="Refuge / hébergement")
    world.user.wait_for_text(OFFICER, "Refuge / hébergement : 1–5 sur 8", world.step)
    world.user.send_location(OFFICER, 45.48, -73.57)
    near = world.user.wait_for_text(OFFICER, "Les plus proches de vous", world.step)
    lines = [line for line in near["text"].splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert lines[0].startswith("1. Refuge 8") and "km" in lines[0]
    assert lines[1].startswith("2. Refuge 7")
    world.user.wait_until_idle(world.step)
    assert not any("Quelle catégorie" in text for text in world.texts(OFFICER))  # no draft


def test_a_workers_location_for_a_resources_search_is_not_passed_on(world: World) -> None:
    """The worker's own position, shared to find what is near them, is not the scene: the
    search is answered and the officer gets nothing."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme sans abri, nuit froide")
    world.accept(ROY, ref)
    world.user.wait_for_text(OFFICER, "Marie Roy", world.step)
    world.user.send_text(ROY, "/resources")
    prompt = world.user.wait_for_text(ROY, "Quel type de ressource", world.step)
    world.user.press(ROY, prompt["message_id"], text="Refuge / hébergement")
    world.user.wait_for_text(ROY, "Refuge / hébergement : 1", world.step)

    world.user.send_location(ROY, 45.51, -73.56)
    world.user.wait_for_text(ROY, "Les plus proches de vous", world.step)
    world.user.send_text(ROY, "Je cherche un refuge")  # then a line, relayed after it
    world.user.wait_for_text(OFFICER, "Je cherche un refuge", world.step)
    assert not any("location" in m for m in world.user.messages(OFFICER))


def test_a_worker_sends_a_resource_into_the_consultation_and_it_is_recorded(
    world: World,
) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    ref = world.open_consultation(OFFICER, "Homme confus, désorienté.")
    top = world.user.wait_for_text(OFFICER, "ressources ouvertes maintenant", world.step)
    assert top["text"].startswith(ref) and "Clinique 10" in top["text"]
    world.accept(ROY, ref)
    world.user.send_text(ROY, "/resources refuge")
    results = world.user.wait_for_text(ROY, "« refuge » : 1–5 sur 8", world.step)
    world.user.press(ROY, results["message_id"], text="ℹ 1")
    details = world.user.wait_for(
        ROY, lambda m: "Heures : 24/7" in m.get("text", ""), world.step, description="details"
    )
    world.user.press(ROY, details["message_id"], text="Envoyer à l'agent·e")
    received = world.user.wait_for_text(OFFICER, "ressource envoyée par Marie Roy", world.step)
    assert received["text"].startswith(ref) and "Refuge 1" in received["text"]
    world.user.wait_for_text(ROY, f"envoyé à Julie Tremblay ({ref})", world.step)
    cid = views.parse_reference(ref)
    assert cid is not None
    referrals = [e for e in events.timeline(world.db, cid) if e.kind == EventKind.REFERRAL_SENT]
    assert [e.data for e in referrals] == [{"resource": "svc-1"}]


def test_a_broken_file_on_reload_keeps_the_old_directory(
    world: World, directory_file: Path
) -> None:
    world.enrol(CHIEF, Role.SUPERVISOR, "Anne Chef")
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    directory_file.write_text(directory_text().replace("514-555-0203", "555-03"))
    world.user.send_text(CHIEF, "/reload")
    report = world.user.wait_for_text(CHIEF, "1 erreur(s)", world.step)
    assert "l'annuaire précédent (10 ressources) reste en service" in report["text"]
    assert "entrée svc-3, champ phone : '555-03' n'est pas un numéro" in report["text"]
    world.user.send_text(OFFICER, "/resources refuge")
    world.user.wait_for_text(OFFICER, "« refuge » : 1–5 sur 8", world.step)
    directory_file.write_text(directory_text(extra=2))
    world.user.send_text(CHIEF, "/reload")
    world.user.wait_for_text(CHIEF, "Annuaire rechargé : 12 ressources", world.step)
    world.user.send_text(OFFICER, "/resources cuisine")
    world.user.wait_for_text(OFFICER, "« cuisine » : 1–2 sur 2", world.step)


def test_reload_is_for_supervisors_only(world: World) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/reload")
    world.user.wait_until_idle(world.step)
    assert "Annuaire rechargé" not in "\n".join(world.texts(OFFICER))


def test_start_up_refuses_a_broken_directory_with_its_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(directory_text().replace("latitude: 45.5", "latitude: 95.5"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env.update(RELAIS_DIRECTORY_PATH=str(broken), DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--token", "123456:ABCDEFGHIJKLMNOP",
         "--base-url", "http://127.0.0.1:9/bot"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "RELAIS_DIRECTORY_PATH" in done.stderr
    assert "coordinates_out_of_range" in done.stderr


@pytest.fixture
def hurried_world(db: Database, tmp_path: Path, directory_file: Path) -> Iterator[World]:
    """Escalation windows of one second: the fallback step arrives within seconds."""
    env = {
        "RELAIS_DIRECTORY_PATH": str(directory_file),
        "RELAIS_ACK_URGENT_SECONDS": "1",
        "RELAIS_SWEEP_SECONDS": "1",
    }
    with running_world(db, tmp_path, env=env) as running:
        yield running


def test_the_fallback_step_lists_the_crisis_lines_and_open_services(
    hurried_world: World,
) -> None:
    world = hurried_world
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)  # offered the request, never answers
    ref = world.open_consultation(OFFICER, "Personne en détresse.", category="Itinérance")
    fallback = world.user.wait_for_text(OFFICER, f"Personne n'a pu prendre {ref}", 30.0)
    assert "• Ligne de crise 9 : 514-555-0209" in fallback["text"]
    assert "• Refuge 1 : 514-555-0201" in fallback["text"]


def test_with_nobody_at_all_the_officer_gets_the_crisis_lines_at_once(world: World) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    ref = world.open_consultation(OFFICER, "Personne en détresse.", category="Itinérance")
    nobody = [text for text in world.texts(OFFICER) if "aucun·e intervenant·e" in text][-1]
    assert "• Ligne de crise 9 : 514-555-0209" in nobody
    top = world.user.wait_for_text(OFFICER, "ressources ouvertes maintenant", world.step)
    assert top["text"].startswith(ref) and "Refuge" in top["text"]


@pytest.fixture
def watching_world(db: Database, tmp_path: Path, directory_file: Path) -> Iterator[World]:
    """The file-change check every second."""
    env = {"RELAIS_DIRECTORY_PATH": str(directory_file), "RELAIS_DIRECTORY_CHECK_SECONDS": "1"}
    with running_world(db, tmp_path, env=env) as running:
        yield running


def test_an_edited_file_is_picked_up_without_a_restart(
    watching_world: World, directory_file: Path
) -> None:
    world = watching_world
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    directory_file.write_text(directory_text().replace("514-555-0203", "555-03"))
    wait_until(
        lambda: "keeping the previous one" in world.bot.log_tail(400), 30.0, "the broken check"
    )
    world.user.send_text(OFFICER, "/resources refuge")
    world.user.wait_for_text(OFFICER, "« refuge » : 1–5 sur 8", world.step)
    directory_file.write_text(directory_text(extra=2))
    wait_until(lambda: "reloaded 12 entries" in world.bot.log_tail(400), 30.0, "the reload")
    world.user.send_text(OFFICER, "/resources cuisine")
    world.user.wait_for_text(OFFICER, "« cuisine » : 1–2 sur 2", world.step)


SECOND_OFFICER = 1002


def search_by_category(world: World, person: int) -> None:
    """/resources, then the shelter button: the chooser asks for a location."""
    world.user.send_text(person, "/resources")
    prompt = world.user.wait_for_text(person, "Quel type de ressource", world.step)
    world.user.press(person, prompt["message_id"], text="Refuge / hébergement")
    world.user.wait_for_text(person, "Refuge / hébergement : 1–5 sur 8", world.step)


def test_the_top_three_use_the_location_shared_in_the_consultation_only(world: World) -> None:
    """A location shared for a search minutes before (the chooser asked for it) is not the
    scene of the request; one shared in the consultation (here while it is a draft) is."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    search_by_category(world, OFFICER)
    world.user.send_location(OFFICER, 45.41, -73.57)  # answers the search, opens nothing
    world.user.wait_for_text(OFFICER, "Les plus proches de vous", world.step)
    ref = world.open_consultation(OFFICER, "Homme sans abri.", category="Itinérance")
    top = world.user.wait_for_text(OFFICER, "ressources ouvertes maintenant", world.step)
    assert top["text"].startswith(ref) and "km" not in top["text"]

    world.enrol(SECOND_OFFICER, Role.OFFICER, "Marc Gagnon")
    search_by_category(world, SECOND_OFFICER)
    world.user.send_location(SECOND_OFFICER, 45.41, -73.57)  # for the search
    world.user.wait_for_text(SECOND_OFFICER, "Les plus proches de vous", world.step)
    world.user.send_text(SECOND_OFFICER, "Femme sans abri, je partage la position.")
    first = world.user.wait_for_text(SECOND_OFFICER, "Quelle catégorie", world.step)
    world.user.send_location(SECOND_OFFICER, 45.48, -73.57)  # in the draft: the scene
    world.user.wait_for(
        SECOND_OFFICER,
        lambda m: m["message_id"] > first["message_id"] and "Ajouté à votre demande" in m["text"],
        world.step,
        description="the location added to the draft",
    )
    prompt = first  # the category question, still on screen, is not asked again
    world.user.press(SECOND_OFFICER, prompt["message_id"], text="Itinérance")
    world.user.wait_for_text(SECOND_OFFICER, "Quelle urgence", world.step)
    world.user.press(SECOND_OFFICER, prompt["message_id"], text="Urgente (dans l'heure)")
    top = world.user.wait_for_text(SECOND_OFFICER, "ressources ouvertes maintenant", world.step)
    lines = top["text"].splitlines()
    assert lines[2].startswith("1. Refuge 8 · ouvert · 0,0 km"), top["text"]  # at 45.48
    cid = views.parse_reference(top["text"].split(" ")[0])
    assert cid is not None
    shared = [
        e.data
        for e in events.timeline(world.db, cid)
        if e.kind == EventKind.MESSAGE_QUEUED and e.data.get("kind") == "location"
    ]
    assert [(d["latitude"], d["longitude"]) for d in shared] == [(45.48, -73.57)]


def test_an_officers_location_after_a_word_search_is_the_scene_of_a_request(
    world: World,
) -> None:
    """A word search asks for no location: the officer's location a few minutes later starts
    (then joins) the request, with no search page sent back; the chooser, which asks for
    one, gets its nearest page once, and says the request is still to be written."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/resources refuge")
    world.user.wait_for_text(OFFICER, "« refuge » : 1–5 sur 8", world.step)
    world.user.send_location(OFFICER, 45.48, -73.57)
    first = world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
    world.user.press(OFFICER, first["message_id"], text="Itinérance")
    world.user.wait_for_text(OFFICER, "Quelle urgence", world.step)
    world.user.press(OFFICER, first["message_id"], text="Urgente (dans l'heure)")
    top = world.user.wait_for_text(OFFICER, "ressources ouvertes maintenant", world.step)
    assert "1. Refuge 8 · ouvert · 0,0 km" in top["text"], top["text"]  # the scene
    world.user.send_location(OFFICER, 45.47, -73.57)  # in the consultation: relayed
    world.user.wait_until_idle(world.step)
    assert not any("Les plus proches" in text for text in world.texts(OFFICER))

    world.enrol(SECOND_OFFICER, Role.OFFICER, "Marc Gagnon")
    search_by_category(world, SECOND_OFFICER)
    world.user.send_location(SECOND_OFFICER, 45.48, -73.57)  # the chooser asked for it
    world.user.wait_for_text(SECOND_OFFICER, "Les plus proches de vous", world.step)
    world.user.wait_for_text(SECOND_OFFICER, "pour votre recherche seulement", world.step)
    world.user.send_location(SECOND_OFFICER, 45.47, -73.57)  # asked once: now a request
    world.user.wait_for_text(SECOND_OFFICER, "Quelle catégorie", world.step)
    assert sum("Les plus proches" in text for text in world.texts(SECOND_OFFICER)) == 1
