"""The trial secret for subject keys is the sandbox's only: `relais run` without
RELAIS_SUBJECT_KEY_SECRET starts on the sandbox (which says so in its getMe answer) but not on
another Bot API of this machine (a local telegram-bot-api server serving real people), and
the command line searches a database without the secret only when the sandbox's bot filled
it, whatever TELEGRAM_API_BASE_URL says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from bot.cli import main
from flows import cases, relaying, subject_secret
from flows import consultations as cs
from flows.store import Database
from flows.vocabulary import Category, Role, Urgency
from tests.support.e2e import World
from tests.support.people import POLICY, enrol
from tests.support.units import act
from tests.support.waiting import wait_until

NO_SECRET = "RELAIS_SUBJECT_KEY_SECRET is not set"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_bot_api() -> Iterator[str]:
    """A Bot API on 127.0.0.1 that answers like Telegram (a local telegram-bot-api server):
    a getMe without the sandbox's mark, and True to anything else."""

    async def answer(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            me = {"id": 42, "is_bot": True, "first_name": "Local", "username": "local_bot"}
            return web.json_response({"ok": True, "result": me})
        return web.json_response({"ok": True, "result": True})

    port, ready, stop = _free_port(), threading.Event(), threading.Event()

    def serve() -> None:
        import asyncio

        async def main_loop() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", answer)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await runner.cleanup()

        asyncio.run(main_loop())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the local Bot API did not start"
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        stop.set()
        thread.join(10)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    return {**env, **extra}


def test_relais_run_on_a_local_bot_api_that_is_not_the_sandbox_needs_the_secret(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'relais.db'}"
    with local_bot_api() as base_url:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--token", "123456:LOCAL-api-token",
             "--base-url", base_url],
            env=_clean_env(DATABASE_URL=url), cwd=tmp_path, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert NO_SECRET in done.stderr
    assert "Traceback" not in done.stderr


def test_the_sandbox_bot_records_the_trial_secret_and_a_configured_one_says_so(
    db: Database, tmp_path: Path
) -> None:
    from sandbox import SandboxServer
    from tests.support.e2e import TOKEN, started

    with SandboxServer(token=TOKEN) as sandbox, started(World(sandbox, db, tmp_path)):
        wait_until(lambda: subject_secret.hashed_with_trial_secret(db), 30, "the trial mark")
    own = {"RELAIS_SUBJECT_KEY_SECRET": "a-service-secret-0123456789"}
    with SandboxServer(token=TOKEN) as sandbox, started(World(sandbox, db, tmp_path, own)):
        wait_until(lambda: not subject_secret.hashed_with_trial_secret(db), 30, "configured")


def _person_known_to_the_sandbox(url: str, clock) -> None:  # type: ignore[no-untyped-def]
    """A consultation about JT 1987, its key hashed with the trial secret (POLICY's)."""
    db = Database(url)
    db.upgrade()
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay")
    enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, "Homme agité sur son balcon")
    act(db, clock, cs.set_category, officer.id, c.id, Category.MENTAL_HEALTH)
    act(db, clock, cases.give_key, officer.id, "tj 1987", POLICY)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    db.dispose()


@pytest.fixture
def invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "RELAIS_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str, **env: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, **env})

    return run, url


def test_the_command_line_searches_a_sandbox_database_without_the_secret(invoke, clock) -> None:  # type: ignore[no-untyped-def]
    run, url = invoke
    _person_known_to_the_sandbox(url, clock)
    db = Database(url)
    subject_secret.record(db, trial=True)  # as the sandbox's bot does at its start
    db.dispose()
    audit = run("audit", "--subject", "JT 1987")  # no TELEGRAM_API_BASE_URL needed
    assert audit.exit_code == 0, audit.output
    assert "Agent Julie Tremblay" in audit.output


def test_without_the_secret_a_real_service_database_is_never_searched(invoke, clock) -> None:  # type: ignore[no-untyped-def]
    run, url = invoke
    _person_known_to_the_sandbox(url, clock)
    db = Database(url)
    subject_secret.record(db, trial=False)  # the last bot ran with the service's secret
    db.dispose()
    local = {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}  # a local telegram-bot-api
    for env in ({}, local):
        audit = run("audit", "--subject", "JT 1987", **env)
        assert audit.exit_code == 2, audit.output
        assert NO_SECRET in audit.output
