"""For whoever runs the service: /healthz and /metrics served by the running bot, and
`relais health` from a shell (through the bot, or the database alone), read-only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.ops_server import database_checks
from flows.health import figures
from flows.outbox import Outbox
from flows.store import Database
from flows.vocabulary import NoticeKind, Role
from tests.support.e2e import World, running_world

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


def test_checks_name_the_unreachable_database():
    [check] = database_checks(None, "OperationalError: connection refused")
    assert not check.ok and "connection refused" in check.detail
