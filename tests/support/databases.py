"""Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test on the
local server. PostgreSQL is skipped when unreachable, except in CI (CI=true) where that fails."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from flows.store import Database

POSTGRES_URL = os.environ.get(
    "RELAIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> str | None:
    """None when reachable, else the reason."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def require_postgres() -> None:
    reason = postgres_reachable()
    if reason is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is unreachable ({reason})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; in CI this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


@contextmanager
def fresh_postgres_url() -> Iterator[str]:
    """A brand-new database on the local server, dropped afterwards."""
    require_postgres()
    name = f"relais_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of the given kind ('sqlite' or 'postgres')."""
    if kind == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'relais.db'}")
        db.upgrade()
        try:
            yield db
        finally:
            db.dispose()
        return
    with fresh_postgres_url() as url:
        db = Database(url)
        db.upgrade()
        try:
            yield db
        finally:
            db.dispose()
