"""For whoever runs the service: /healthz and /metrics served by the running bot, and
`relais health` from a shell (through the bot, or the database alone), read-only."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot import metrics
from bot.ops_server import database_checks, publish
from flows.health import figures
from flows.outbox import Outbox
from flows.store import Database
from flows.vocabulary import NoticeKind, Role
from tests.support.e2e import World, running_world
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ops_world(db: Database, tmp_path: Path) -> Iterator[tuple[World, int]]:
    port = free_port()
    with running_world(db, tmp_path, env={"RELAIS_HTTP_PORT": str(port)}) as world:
        yield world, port


def relais(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=base | env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_running_bot_serves_its_health_and_its_metrics(ops_world):
    world, port = ops_world
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    world.open_consultation(OFFICER, "Homme agité devant le dépanneur.")

    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10, trust_env=False)
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["healthy"] is True
    assert set(body["checks"]) == {"database", "dispatcher", "inbox", "poller", "scheduler"}

    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10, trust_env=False).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in scraped.splitlines()
        if line and not line.startswith("#")
    }
    assert values["relais_updates_handled_total"] >= 6
    assert values['relais_notices_sent_total{kind="offer_card"}'] >= 1
    assert values["relais_waiting_requests"] == 1
    assert values["relais_healthy"] == 1

    done = relais("health", env={"DATABASE_URL": world.db.url, "RELAIS_HTTP_PORT": str(port)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "poller: ok" in done.stdout and "scheduler: ok" in done.stdout


def answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=10, trust_env=False).status_code
    except httpx.ConnectError:
        return None


def test_a_sqlite_file_moved_under_the_running_bot_makes_the_database_unhealthy(ops_world):
    """Before: "reachable", since the open connections go on writing to the moved file,
    which the next start would not find (it would create an empty one at the path)."""
    world, port = ops_world
    if not world.db.is_sqlite:
        pytest.skip("a SQLite file")
    path = Path(world.db.engine.url.database or "")
    healthz = f"http://127.0.0.1:{port}/healthz"
    wait_until(lambda: answers(healthz) == 200, 30, "the bot's /healthz")
    path.rename(path.with_name("moved.db"))
    try:
        health = httpx.get(healthz, timeout=10, trust_env=False)
        assert health.status_code == 503, health.text
        check = health.json()["checks"]["database"]
        assert check["ok"] is False
        assert check["detail"].startswith(f"the database file was moved or deleted: {path} ")
        path.with_name("moved.db").rename(path)  # put back: the same file, healthy again
        assert httpx.get(healthz, timeout=10, trust_env=False).status_code == 200
        copy = path.with_name("copy.db")
        copy.write_bytes(path.read_bytes())
        copy.replace(path)  # another file at the path (a restore under the running bot)
        assert httpx.get(healthz, timeout=10, trust_env=False).status_code == 503
    finally:
        if path.with_name("moved.db").exists():
            path.with_name("moved.db").rename(path)


def test_relais_health_reads_the_database_alone_and_fails_when_it_is_unreachable(db, tmp_path):
    done = relais("health", env={"DATABASE_URL": db.url})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "database: ok" in done.stdout and "dispatcher: ok" in done.stdout
    down = relais("health", env={"DATABASE_URL": "postgresql+psycopg://relais@127.0.0.1:1/x"})
    assert down.returncode == 1
    assert "database: FAILING (unreachable" in down.stdout


def test_a_notice_pending_over_a_minute_makes_the_dispatcher_unhealthy(db, clock):
    with db.unit_of_work() as session:
        Outbox(session, clock()).to_chat(5, "fr", NoticeKind.SAY, key="refusal.invite", values={})
    later = clock() + timedelta(seconds=61)
    checks = {c.name: c for c in database_checks(figures(db, later), None)}
    assert not checks["dispatcher"].ok
    assert "1 notices pending, oldest 61s" in checks["dispatcher"].detail
    fresh = {c.name: c for c in database_checks(figures(db, clock()), None)}
    assert fresh["dispatcher"].ok


def test_figures_read_from_an_unreachable_database_are_unknown_not_zero(db, clock):
    """Before: an outage left relais_outbox_pending and _oldest_seconds at their last value (0
    on a fresh process), so the documented alert on the outbox's age could not fire."""
    publish(figures(db, clock()))
    assert metrics.DATABASE_UP._value.get() == 1 and metrics.OUTBOX_AGE._value.get() == 0
    publish(None)
    assert metrics.DATABASE_UP._value.get() == 0
    for gauge in (metrics.OUTBOX_AGE, metrics.OUTBOX_PENDING, metrics.INBOX_UNHANDLED):
        assert math.isnan(gauge._value.get())


def test_checks_name_the_unreachable_database():
    [check] = database_checks(None, "OperationalError: connection refused")
    assert not check.ok and "connection refused" in check.detail


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched (an empty SQLite file, a new PostgreSQL one)."""
    if request.param == "sqlite":
        (tmp_path / "empty.db").touch()
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.support.databases import fresh_postgres_url

    with fresh_postgres_url() as url:
        yield url


def test_relais_health_on_a_database_without_the_schema_says_so(unmigrated_url, tmp_path):
    """Before: a psycopg UndefinedTable traceback, or on SQLite "unreachable (no such table)"."""
    done = relais("health", env={"DATABASE_URL": unmigrated_url})
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "database: FAILING (the database has no Relais schema yet: run `relais db upgrade` or "
        "`relais run`)"
    ]
    assert done.stderr == ""


def test_relais_health_on_an_older_schema_names_both_revisions(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory

    from flows.store import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0005_subjects")
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    done = relais("health", env={"DATABASE_URL": url})
    assert done.returncode == 1
    assert done.stdout.startswith(
        f"database: FAILING (the database is at revision 0005_subjects, this Relais needs {head}"
    )


def test_relais_health_on_a_missing_sqlite_file_creates_nothing(tmp_path):
    missing = tmp_path / "relais.db"
    done = relais("health", env={"DATABASE_URL": f"sqlite:///{missing}"})
    assert done.returncode == 1
    assert done.stdout.strip() == f"database: FAILING (no such file: {missing})"
    assert not missing.exists()


@pytest.mark.parametrize(
    ("listen", "asked"),
    [("::", "[::1]"), ("::1", "[::1]"), ("0.0.0.0", "127.0.0.1"), ("127.0.0.1", "127.0.0.1")],
)
def test_relais_health_asks_a_bot_listening_on_ipv6_in_brackets(listen, asked):
    """Before: httpx.InvalidURL traceback for RELAIS_HTTP_HOST=:: or ::1."""
    port = free_port()
    done = relais("health", env={"RELAIS_HTTP_HOST": listen, "RELAIS_HTTP_PORT": str(port)})
    assert done.returncode == 1
    assert done.stdout.startswith(f"bot: not answering at http://{asked}:{port}/healthz (")
    assert "Traceback" not in done.stderr


def test_a_freshly_started_idle_bot_is_healthy_while_its_first_long_poll_waits(ops_world):
    """Before: 503 "poller: not polling yet" for up to 30 s, until that poll returned."""
    _world, port = ops_world

    answers: list[httpx.Response] = []

    def answered() -> bool:
        try:
            answers.append(
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10, trust_env=False)
            )
        except httpx.ConnectError:  # the port opens with the poller, just after start-up
            return False
        return True

    wait_until(answered, 20, "the health port")
    answer = answers[0]
    poller = answer.json()["checks"]["poller"]
    assert answer.status_code == 200, answer.json()
    assert poller["ok"] and poller["detail"].startswith("no getUpdates answer for ")


def test_the_poller_check_counts_from_the_poll_sent_and_from_the_answer():
    from bot.ops_server import poller_check

    assert not poller_check(None, None, 100.0).ok  # not started yet
    assert poller_check(None, 95.0, 100.0).ok  # the first long poll, waiting on Telegram
    assert poller_check(50.0, 60.0, 100.0).ok  # a later one out for 40 s
    assert not poller_check(None, 0.0, 100.0).ok  # a poll out for 100 s: stuck
    assert poller_check(95.0, 90.0, 100.0).ok  # answered 5 s ago, handling the batch
    assert not poller_check(5.0, 1.0, 100.0).ok  # answered 95 s ago and no poll since
