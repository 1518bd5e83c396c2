"""The Alembic history builds exactly the schema the models describe, on SQLite and
PostgreSQL, and applying it twice is harmless. These run the migrations on an empty
database themselves: the other tests get copies of a template migrated once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from flows.models import Base
from flows.store import Database, alembic_config
from tests.support.databases import fresh_postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database no migration has touched yet."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    with fresh_postgres_url() as url:
        db = Database(url)
        yield db
        db.dispose()


def test_migrations_match_the_models(empty_db):
    empty_db.upgrade()
    empty_db.upgrade()  # a second time: idempotent
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_databases_tests_get_are_at_the_latest_migration(any_db):
    head = ScriptDirectory.from_config(alembic_config(any_db.url)).get_current_head()
    with any_db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
