"""End to end: Relais used as a service would use it, when things go wrong — an update the
library cannot read, a database outage, a second `relais run` on the same database, a part of
the bot dying, and logs at DEBUG. The bot never goes deaf, never half alive, never leaks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from flows import inbox
from flows.models import InboxUpdate
from flows.store import Database
from flows.vocabulary import Role
from tests.support.databases import POSTGRES_URL, fresh_postgres_url
from tests.support.e2e import TOKEN, World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001
UNSUPPORTED = "Ce type de message ne peut pas être transmis"

# A poll as the sandbox used to send it, in an older Bot API's shape: python-telegram-bot 22.8
# cannot build it (no persistent_id on options, no allows_revoting / members_only).
OLD_SHAPED_POLL = {
    "poll": {
        "id": "1",
        "question": "Quokka-Sondage-4417 ?",
        "options": [{"text": "oui", "voter_count": 0}, {"text": "non", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
}


def team(world: World) -> None:
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)


def bot_log(world: World) -> str:
    return world.bot.log_path.read_text(errors="replace")


def set_aside_rows(db: Database) -> list[tuple[int, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(InboxUpdate.update_id, InboxUpdate.set_aside_reason).where(
                InboxUpdate.set_aside_at.is_not(None)
            )
        )
        return [(int(uid), reason) for uid, reason in rows]


# -- an update the library cannot parse ------------------------------------------------


def test_an_update_the_library_cannot_parse_is_set_aside_and_polling_goes_on(world):
    team(world)
    poll = world.user.send_message(OFFICER, OLD_SHAPED_POLL)
    answer = world.user.wait_for_new(OFFICER, poll["message_id"], world.step)
    assert answer["text"].startswith(UNSUPPORTED)  # told, in their language

    reference = world.open_consultation(OFFICER, "Homme agité après le sondage")  # goes on
    world.accept(ROY, reference)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    wait_until(lambda: world.user.pending_updates() == 0, world.step, "every update confirmed")
    [(_, reason)] = set_aside_rows(world.db)
    assert reason is not None and reason.startswith("unparseable: TypeError")
    log = bot_log(world)
    assert "set aside unparseable update=" in log
    assert "Quokka" not in log  # neither the update nor the library's dump of it

    world.bot.stop()  # after a restart it is not fetched or replayed again
    world.restart()
    world.user.send_text(OFFICER, "après le redémarrage")
    world.user.wait_for_text(ROY, "après le redémarrage", world.step)
    assert sum(UNSUPPORTED in t for t in world.texts(OFFICER)) == 1


# -- a part of the bot that dies takes the process down --------------------------------


def test_a_token_revoked_while_running_stops_the_bot_with_one_critical_line(world):
    team(world)
    world.user.inject_error(method="getUpdates", error_code=401, description="Unauthorized")
    world.user.send_text(OFFICER, "/help")  # ends the pending long poll; the next one fails
    wait_until(lambda: not world.bot.running, world.step, "the bot process stopping")
    assert world.bot.returncode == 1  # a supervisor restarts it (and start-up then says why)
    critical = [line for line in bot_log(world).splitlines() if " CRITICAL " in line]
    assert critical and "the update poller stopped (InvalidToken)" in critical[0]
    assert TOKEN.split(":")[1] not in bot_log(world)


# -- a second `relais run` on the same database ----------------------------------------


def second_run(world: World, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": world.db.url,
        "RELAIS_LOG_LEVEL": "WARNING",
        "RELAIS_DIRECTORY_PATH": str(
            Path(__file__).resolve().parents[1] / "resources_directory.yaml"
        ),
        "RELAIS_SCREENING_PATH": str(Path(__file__).resolve().parents[1] / "screening.yaml"),
    }
    if "PYTHONPATH" in os.environ:  # the code under test, not an installed copy
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    command = [sys.executable, "-m", "bot", "run", "--token", TOKEN]
    command += ["--base-url", world.sandbox.base_url]
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_a_second_run_on_the_same_database_refuses_to_start_saying_why(world_any_db, tmp_path):
    world = world_any_db
    team(world)
    done = second_run(world, tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("relais: another `relais run` is already running on this database")
    assert "pid " in line  # which one
    reference = world.open_consultation(OFFICER, "Toujours là ?")  # the first one goes on
    world.accept(ROY, reference)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)


# -- a database outage (PostgreSQL) ----------------------------------------------------


SWEEPS_EVERY_SECOND = {"RELAIS_SWEEP_SECONDS": "1", "RELAIS_FOLLOWUP_SWEEP_SECONDS": "1"}


@pytest.fixture
def world_on_postgres(tmp_path: Path) -> Iterator[World]:
    with fresh_postgres_url() as url:
        db = Database(url)
        db.upgrade()
        try:
            with running_world(db, tmp_path, env=SWEEPS_EVERY_SECOND) as world:
                yield world
        finally:
            db.dispose()


def connections(database: str, allowed: bool) -> None:
    """As an administrator: allow or refuse new connections; refusing also ends the open ones."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
    admin.dispose()


@pytest.mark.postgres
def test_a_database_outage_is_waited_out_and_nothing_is_lost(world_on_postgres):
    world = world_on_postgres
    team(world)
    name = str(make_url(world.db.url).database)
    before = world.last_id(OFFICER)
    connections(name, allowed=False)
    try:
        world.user.send_text(OFFICER, "Femme désorientée, pendant la panne")
        wait_until(  # three failed attempts: about 4 s of outage, timers failing meanwhile
            lambda: (
                "storing updates: database unavailable" in bot_log(world)
                and "; retry 3 in" in bot_log(world)
            ),
            world.step,
            "the bot waiting out the outage",
        )
        assert "timer escalation:sweep failed" in bot_log(world)
        assert world.user.pending_updates() == 1  # not confirmed: still at Telegram
    finally:
        connections(name, allowed=True)
    reference = world.finish_request(OFFICER, before)  # the normal answer, by itself
    world.accept(ROY, reference)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    world.user.send_text(OFFICER, "après la panne")
    world.user.wait_for_text(ROY, "après la panne", world.step)
    world.user.send_text(ROY, "bien reçu")
    world.user.wait_for_text(OFFICER, "bien reçu", world.step)
    assert world.bot.running
    wait_until(
        lambda: "instance lock taken again" in bot_log(world), world.step, "the lock taken again"
    )


@pytest.mark.postgres
def test_a_stop_during_a_database_outage_ends_soon_and_loses_nothing(world_on_postgres):
    """SIGTERM while handlers wait out an outage: the library's stop waited for them, until
    the service manager killed the process. Now they are abandoned after a grace period and
    come back at the next start."""
    world = world_on_postgres
    team(world)
    name = str(make_url(world.db.url).database)
    reference = world.open_consultation(OFFICER, "Homme sur le pont")
    world.accept(ROY, reference)
    world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
    connections(name, allowed=False)
    try:
        world.user.send_text(OFFICER, "ligne pendant la panne")
        world.user.send_text(ROY, "réponse pendant la panne")
        wait_until(lambda: "; retry 2 in" in bot_log(world), world.step, "the outage waited out")
        assert world.bot.stop(timeout=30) == 0  # not killed
    finally:
        connections(name, allowed=True)
    assert "updates still being handled" in bot_log(world)
    world.restart()
    world.user.wait_for_text(ROY, "ligne pendant la panne", world.step)
    world.user.wait_for_text(OFFICER, "réponse pendant la panne", world.step)


# -- logs at DEBUG ---------------------------------------------------------------------


def test_logs_at_debug_carry_no_names_phone_numbers_text_or_places(db, tmp_path):
    secrets = ["Zébulon", "Quintavalle", "514-555-0199", "Xylophone-7731", "45.50893", "73.56127"]
    secrets.append(TOKEN.split(":")[1])

    def assert_clean(log: str) -> None:
        for secret in secrets:
            assert secret not in log, secret

    with running_world(db, tmp_path, env={"RELAIS_LOG_LEVEL": "DEBUG"}) as world:
        world.enrol(OFFICER, Role.OFFICER, "Zébulon Quintavalle")
        world.enrol(ROY, Role.WORKER, "Marie Roy")
        world.go_on(ROY)
        reference = world.open_consultation(OFFICER, "Xylophone-7731, rappeler le 514-555-0199")
        world.accept(ROY, reference)
        world.user.wait_for_text(OFFICER, "acceptée par Marie Roy", world.step)
        world.user.send_location(OFFICER, 45.50893, -73.56127)
        world.user.wait_for(
            ROY, lambda m: "location" in m, world.step, description="the relayed location"
        )
        world.user.send_text(ROY, "Je rappelle Xylophone-7731")
        world.user.wait_for_text(OFFICER, "Je rappelle", world.step)
        wait_until(lambda: not inbox.unhandled(world.db), world.step, "every update handled")
        log = bot_log(world)
        assert " DEBUG " in log  # DEBUG really was on
        assert_clean(log)

        world.user.send_message(OFFICER, OLD_SHAPED_POLL)  # and no dump of an unreadable one
        world.user.wait_for(
            OFFICER,
            lambda m: m["text"].startswith(UNSUPPORTED),
            world.step,
            description="the unsupported sentence",
        )
        assert_clean(bot_log(world))
        assert "Quokka" not in bot_log(world)
