"""Shared fixtures: a fake clock, and databases (SQLite always, PostgreSQL where reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from flows.store import Database
from tests.support.clock import FakeClock
from tests.support.databases import database
from tests.support.e2e import World, running_world


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A temporary SQLite database, migrated: the default for unit tests on flows/."""
    with database("sqlite", tmp_path) as migrated:
        yield migrated


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and on PostgreSQL: for storage and concurrency tests."""
    with database(request.param, tmp_path) as migrated:
        yield migrated


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """The sandbox and the real bot (a child process) on a temporary SQLite database."""
    with running_world(db, tmp_path) as running:
        yield running


@pytest.fixture
def world_any_db(any_db: Database, tmp_path: Path) -> Iterator[World]:
    """The same, on SQLite and on PostgreSQL."""
    with running_world(any_db, tmp_path) as running:
        yield running


@pytest.fixture
def relais(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The `relais` command on a fresh, upgraded SQLite database in tmp_path (the working
    folder), without the machine's own settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "RELAIS_TIMEZONE", "DATABASE_URL", "RELAIS_CLI_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert invoke("db", "upgrade").exit_code == 0  # only run and db upgrade migrate
    return invoke
