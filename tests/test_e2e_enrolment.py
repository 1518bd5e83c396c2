"""End to end: enrolment through /start CODE, and every refusal (unknown users, used, wrong
or expired codes, revoked people, the wrong role, group chats) is one short answer."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from flows import enrolment, people
from flows.store import utc_now
from flows.vocabulary import Role

pytestmark = pytest.mark.e2e

OFFICER, WORKER, STRANGER = 1001, 2001, 6666


def bot_messages(world, chat_id):
    return [e for e in world.user.transcript(chat_id) if e["event"] == "bot_message"]


def test_a_code_enrols_the_person_in_their_telegram_language(world):
    world.enrol(WORKER, Role.WORKER, "Sam Wilson", language_code="en")
    assert world.texts(WORKER)[-1].startswith(
        "Welcome, Sam Wilson. You are enrolled as a social worker."
    )
    person = people.find_by_telegram_id(world.db, WORKER)
    assert person is not None and person.role == Role.WORKER and person.language == "en"


def test_an_unknown_user_gets_one_short_refusal_and_nothing_else(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.add_user(STRANGER, "Curious", language_code="en")
    world.user.send_text(STRANGER, "hello, who is on duty tonight?")
    world.user.wait_for_text(STRANGER, "enrolled people only", world.step)
    sent = world.user.send_text(STRANGER, "/consult")
    world.user.wait_for_new(STRANGER, sent["message_id"], world.step)
    world.user.wait_until_idle(world.step)
    texts = world.texts(STRANGER)
    assert len(texts) == 2
    assert all("enrolled people only" in t for t in texts)
    assert all("Tremblay" not in t for t in texts)  # leaks no names


def test_a_used_a_wrong_and_an_expired_code_are_refused(world):
    issued = enrolment.create_invite(
        world.db, Role.OFFICER, "Julie Tremblay", utc_now, timedelta(hours=1)
    )
    world.user.add_user(OFFICER, "Tremblay")
    world.user.send_text(OFFICER, f"/start {issued.code}")
    world.user.wait_for_text(OFFICER, "Bienvenue", world.step)

    world.user.add_user(STRANGER, "Other", language_code="fr")
    world.user.send_text(STRANGER, f"/start {issued.code}")
    world.user.wait_for_text(STRANGER, "n'est pas valide, a déjà servi ou a expiré", world.step)

    sent = world.user.send_text(STRANGER, "/start WRONGCODE99")
    world.user.wait_for_new(STRANGER, sent["message_id"], world.step)

    def past() -> object:
        return utc_now() - timedelta(hours=80)

    expired = enrolment.create_invite(world.db, Role.WORKER, "Late", past, timedelta(hours=72))
    sent = world.user.send_text(STRANGER, f"/start {expired.code}")
    world.user.wait_for_new(STRANGER, sent["message_id"], world.step)
    assert len(world.texts(STRANGER)) == 3
    assert all("n'est pas valide" in t for t in world.texts(STRANGER))
    assert people.find_by_telegram_id(world.db, STRANGER) is None


def test_a_revoked_person_is_refused_like_a_stranger(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    person = people.find_by_telegram_id(world.db, OFFICER)
    assert person is not None
    enrolment.revoke(world.db, person.id, utc_now)
    world.user.send_text(OFFICER, "Besoin d'aide au métro Berri")
    world.user.wait_for_text(OFFICER, "réservé aux personnes inscrites", world.step)


def test_a_command_for_another_role_is_refused(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.user.send_text(OFFICER, "/on")
    world.user.wait_for_text(OFFICER, "pas disponible pour votre rôle", world.step)
    person = people.find_by_telegram_id(world.db, OFFICER)
    assert person is not None and person.presence is None


def test_in_a_group_the_bot_refuses_once_does_nothing_and_leaves(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    group = -100777
    world.user.send_text(OFFICER, "/consult homme en crise", chat_id=group, chat_type="supergroup")
    world.user.wait_for_text(group, "uniquement en conversation privée", world.step)
    world.user.wait_until_idle(world.step, quiet=0.5)
    kinds = [e["event"] for e in world.user.transcript(group)]
    assert kinds.count("bot_message") == 1
    assert "bot_left" in kinds
    assert world.texts(OFFICER)[-1].startswith("Bienvenue")  # nothing opened in private


def test_invites_from_the_cli_work_in_the_bot_and_people_can_be_listed_and_revoked(world):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = world.db.url

    def relais(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    code = relais("invite", "--role", "worker", "--name", "Marie Roy", "--quiet").stdout.strip()
    assert code.isalnum() and len(code) == 12
    full = relais("invite", "--role", "officer", "--name", "Julie Tremblay").stdout
    assert "t.me/" in full and "?start=" in full
    world.user.add_user(WORKER, "Roy")
    world.user.send_text(WORKER, f"/start {code}")
    world.user.wait_for_text(WORKER, "Bienvenue, Marie Roy", world.step)
    listing = relais("users", "list").stdout
    assert "worker" in listing and "Marie Roy" in listing
    person = people.find_by_telegram_id(world.db, WORKER)
    assert person is not None
    assert "Revoked Marie Roy" in relais("users", "revoke", str(person.id)).stdout
    world.user.send_text(WORKER, "/status")
    world.user.wait_for_text(WORKER, "réservé aux personnes inscrites", world.step)
