"""The Alembic history builds exactly the schema the models describe, on SQLite and
PostgreSQL, and applying it twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from flows.models import Base


def test_migrations_match_the_models(any_db):
    any_db.upgrade()  # a second time: idempotent
    with any_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
