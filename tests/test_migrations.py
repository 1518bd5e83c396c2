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


# -- only `relais run` and `relais db upgrade` migrate (docs/operations.md, Upgrades) -------


def relais_on(url: str, *args: str):
    from click.testing import CliRunner

    from bot.cli import main

    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})


def revision_of(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_command_other_than_run_or_upgrade_leaves_an_older_schema_as_it_is_and_says_so(
    empty_db, tmp_path, monkeypatch
):
    from alembic import command

    monkeypatch.chdir(tmp_path)
    command.upgrade(alembic_config(empty_db.url), "0005_subjects")
    head = ScriptDirectory.from_config(alembic_config(empty_db.url)).get_current_head()
    for args in (["users", "list"], ["report", "--from", "2026-01-01", "--to", "2026-01-31"]):
        done = relais_on(empty_db.url, *args)
        assert done.exit_code == 2, done.output
        assert done.output.strip() == (
            f"relais: the database is at revision 0005_subjects, this Relais needs {head}: "
            "run `relais db upgrade` (after a backup)"
        )
        assert revision_of(empty_db) == "0005_subjects"
    upgraded = relais_on(empty_db.url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert revision_of(empty_db) == head
    assert relais_on(empty_db.url, "users", "list").exit_code == 0


def test_a_command_on_a_database_without_the_schema_creates_nothing_and_says_to_upgrade(
    empty_db, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    if empty_db.is_sqlite:  # an empty file, as a new database on a server is empty
        Path(empty_db.engine.url.database or "").touch()
    done = relais_on(empty_db.url, "invite", "--role", "officer", "--name", "Julie")
    assert done.exit_code == 2
    assert done.output.strip() == (
        "relais: the database has no Relais schema yet: run `relais db upgrade` or `relais run`"
    )
    assert revision_of(empty_db) is None


def test_a_missing_sqlite_file_is_not_created_by_a_command_that_reads_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = relais_on(f"sqlite:///{tmp_path / 'nowhere.db'}", "consultations", "list")
    assert done.exit_code == 2
    assert "does not exist (no Relais schema yet): run `relais db upgrade`" in done.output
    assert not (tmp_path / "nowhere.db").exists()


def test_a_database_migrated_by_a_newer_relais_is_refused_by_every_command(
    empty_db, tmp_path, monkeypatch
):
    from sqlalchemy import text

    monkeypatch.chdir(tmp_path)
    empty_db.upgrade()
    with empty_db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    for args in (["users", "list"], ["db", "upgrade"]):
        done = relais_on(empty_db.url, *args)
        assert done.exit_code == 2
        assert done.output.startswith(
            "relais: the database is at a newer revision (0099_future) than this version of "
            "Relais knows"
        )
        assert len(done.output.strip().splitlines()) == 1


def test_db_upgrade_says_what_it_did(empty_db, tmp_path, monkeypatch):
    """Before, "Database schema is up to date." whether it applied migrations or none."""
    from alembic import command

    monkeypatch.chdir(tmp_path)
    head = ScriptDirectory.from_config(alembic_config(empty_db.url)).get_current_head()
    command.upgrade(alembic_config(empty_db.url), "0008_reliability")
    upgraded = relais_on(empty_db.url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"Upgraded the schema from 0008_reliability to {head}.\n"
    again = relais_on(empty_db.url, "db", "upgrade")
    assert (again.exit_code, again.output) == (0, f"Already up to date ({head}).\n")
    assert revision_of(empty_db) == head


def test_db_upgrade_on_an_empty_database_says_it_created_the_schema(
    empty_db, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    head = ScriptDirectory.from_config(alembic_config(empty_db.url)).get_current_head()
    created = relais_on(empty_db.url, "db", "upgrade")
    assert (created.exit_code, created.output) == (0, f"Created the schema, at {head}.\n")
    assert revision_of(empty_db) == head
