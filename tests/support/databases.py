"""Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test on the
local server. PostgreSQL is skipped when unreachable, except in CI (CI=true) where that fails.

Running every migration costs far more than copying its result, so each test process
migrates one template per backend, once, and every test gets a copy of it: the SQLite file
copied, or a PostgreSQL database created from the template. `test_migrations.py` still runs
the migrations themselves on top of a copy, and on an empty database."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
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

# The migrated templates of this process, made on first use: a SQLite file, a database name.
_templates: dict[str, str] = {}


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


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(name: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def fresh_postgres_url(template: str | None = None) -> Iterator[str]:
    """A brand-new database on the local server (empty, or a copy of `template`), dropped
    afterwards."""
    require_postgres()
    name = f"relais_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    try:
        yield _postgres_url(name)
    finally:
        _drop_postgres(name)


def _postgres_template() -> str:
    """This process's migrated PostgreSQL template (nobody stays connected to it, so CREATE
    DATABASE ... TEMPLATE may copy it), dropped when the process ends."""
    if "postgres" not in _templates:
        require_postgres()
        name = f"relais_test_template_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        atexit.register(_drop_postgres, name)
        db = Database(_postgres_url(name))
        try:
            db.upgrade()
        finally:
            db.dispose()
        _templates["postgres"] = name
    return _templates["postgres"]


def _sqlite_template() -> Path:
    """This process's migrated SQLite file, its WAL folded in so the file alone is whole."""
    if "sqlite" not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="relais-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "relais.db"
        db = Database(f"sqlite:///{path}")
        try:
            db.upgrade()
        finally:
            db.dispose()
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        _templates["sqlite"] = str(path)
    return Path(_templates["sqlite"])


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of the given kind ('sqlite' or 'postgres'): a copy of the
    migrated template."""
    if kind == "sqlite":
        path = tmp_path / "relais.db"
        shutil.copyfile(_sqlite_template(), path)
        db = Database(f"sqlite:///{path}")
        try:
            yield db
        finally:
            db.dispose()
        return
    with fresh_postgres_url(template=_postgres_template()) as url:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()
