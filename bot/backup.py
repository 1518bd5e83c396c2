"""`relais db backup PATH` and `relais db restore PATH` for SQLite, with SQLite's online backup
API: a consistent copy while the bot runs (readers and the one writer go on; the copy is
what was committed), and a restore that refuses while a `relais run` holds the database.
Neither migrates anything. PostgreSQL has its own tools (pg_dump, pg_restore): the commands
say which, as docs/operations.md does."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.i18n import CLI_LANGUAGE, t
from bot.instance_lock import InstanceLock
from bot.settings import ConfigError
from flows.store import Database

PG_DUMP = "pg_dump --format=custom --file=PATH DATABASE_URL_WITHOUT_DRIVER"
PG_RESTORE = "pg_restore --clean --if-exists --dbname=DATABASE_URL_WITHOUT_DRIVER PATH"


def sqlite_path(database_url: str, what: str) -> Path:
    """The SQLite file behind the URL; a PostgreSQL URL gets the command to use instead."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        tool = PG_DUMP if what == "backup" else PG_RESTORE
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.postgresql", what=what, tool=tool))
    if not url.database or url.database == ":memory:":
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.no_sqlite_file"))
    return Path(url.database)


def backup(database_url: str, target: Path) -> int:
    """Copy the live database to target (a new file); its size in bytes."""
    source_path = sqlite_path(database_url, "backup")
    if not source_path.exists():
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.no_database", path=source_path))
    if target.exists():
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.exists", path=target))
    _require_writable_folder(target, "backup")
    try:  # readable by this user only, like the .run-lock file: it holds personal data
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.exists", path=target)) from None
    except OSError as exc:  # a folder writable only in appearance (/proc, a read-only mount)
        unwritten = t(CLI_LANGUAGE, "cli.backup.not_written", path=target, error=exc.strerror)
        raise ConfigError(unwritten) from None
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # one self-contained file: in WAL mode (copied from the live database), whoever
            # opens it, even read-only, leaves -wal and -shm files beside it
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:  # the disk full, a folder writable only in appearance
        target.unlink(missing_ok=True)
        unwritten = t(CLI_LANGUAGE, "cli.backup.not_written", path=target, error=exc)
        raise ConfigError(unwritten) from None
    finally:
        source.close()
    return target.stat().st_size


def _read_only(path: Path) -> sqlite3.Connection:
    """A backup opened for reading only, as a file nobody changes (immutable): SQLite then
    takes no lock and writes nothing beside it (no -wal, no -shm, even for a backup in WAL
    mode), so a backup in a read-only folder or on read-only media restores too. Except
    when a write-ahead log lies beside it (a copy of the data folder, a snapshot: not made
    by `relais db backup`): immutable would ignore the transactions it holds, so it is read
    as a live database, its log included."""
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _require_writable_folder(path: Path, what: str) -> None:
    """One sentence before SQLite's "unable to open database file" traceback; what: the
    catalog's word for the file (`cli.backup.what.backup`, `cli.backup.what.database`)."""
    folder = path.parent
    what = t(CLI_LANGUAGE, f"cli.backup.what.{what}")
    if not folder.is_dir():
        raise ConfigError(t(CLI_LANGUAGE, "cli.backup.no_folder", folder=folder, what=what))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            t(CLI_LANGUAGE, "cli.backup.folder_not_writable", folder=folder, what=what)
        )


def restore(database_url: str, source_path: Path, *, force: bool = False) -> None:
    """Put a backup in the database's place; refused while a bot runs on it, and over an
    existing database unless force."""
    target = sqlite_path(database_url, "restore")
    if not source_path.is_file():
        raise ConfigError(t(CLI_LANGUAGE, "cli.restore.no_backup", path=source_path))
    _check_backup(source_path)
    if target.exists() and not force:
        raise ConfigError(t(CLI_LANGUAGE, "cli.restore.exists", path=target))
    _require_writable_folder(target, "database")
    db = Database(database_url)
    try:
        with InstanceLock.acquire(db):  # AlreadyRunning while a `relais run` holds it
            source = _read_only(source_path)
            try:
                live = sqlite3.connect(target)
                try:
                    source.backup(live)
                finally:
                    live.close()
            finally:
                source.close()
    finally:
        db.dispose()


def _check_backup(path: Path) -> None:
    """A Relais database (it has a schema version), not some other file."""
    try:
        connection = _read_only(path)
        try:
            found = connection.execute("select version_num from alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        found = None
    if not found:
        raise ConfigError(t(CLI_LANGUAGE, "cli.restore.not_a_backup", path=path))
