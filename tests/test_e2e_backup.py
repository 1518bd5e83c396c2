"""The restore drill: a backup taken while the bot runs, the database wiped, the backup
restored with the bot stopped, and the bot resumes with every consultation and pending
reminder. Also: a restore is refused while a bot runs, and neither command migrates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from flows import followups, people, views
from flows.models import FollowUp
from flows.store import utc_now
from flows.vocabulary import ConsultationState, Delivery, FollowUpState, Plan, Role
from tests.support.units import act

pytestmark = pytest.mark.e2e

OFFICER, OFFICER_2, ROY = 1001, 1002, 2001


def relais_db(world, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = world.db.url
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def accepted(world, officer: int, text: str) -> int:
    ref = world.open_consultation(officer, text)
    world.accept(ROY, ref)
    world.user.wait_for_text(officer, f"{ref} acceptée par Marie Roy", world.step)
    cid = views.parse_reference(ref)
    assert cid is not None
    return cid


def test_a_backup_restored_after_a_wipe_resumes_consultations_and_reminders(world, tmp_path):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(OFFICER_2, Role.OFFICER, "Marc Côté")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    active = accepted(world, OFFICER, "Homme agité devant le dépanneur.")
    closed = accepted(world, OFFICER_2, "Femme confuse à l'arrêt d'autobus.")
    world.user.send_text(OFFICER_2, "/close")
    world.user.wait_for_text(OFFICER_2, "fermée", world.step)
    roy = people.find_by_telegram_id(world.db, ROY)
    assert roy is not None
    act(world.db, utc_now, followups.plan, roy.id, closed, Plan.WEEK, ZoneInfo("America/Montreal"))

    backup = tmp_path / "relais-backup.db"
    done = relais_db(world, "backup", str(backup))  # while the bot runs
    assert done.returncode == 0, done.stderr
    refused = relais_db(world, "restore", str(backup), "--force")
    assert refused.returncode == 2 and "already running" in refused.stderr

    world.bot.stop()
    world.db.dispose()
    live = Path(str(make_url(world.db.url).database))
    for path in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
        path.unlink(missing_ok=True)
    done = relais_db(world, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    world.restart()

    world.user.send_text(OFFICER, "après la restauration")
    world.user.wait_for_text(ROY, "après la restauration", world.step)
    assert views.get_view(world.db, active).state == ConsultationState.ACTIVE
    assert views.get_view(world.db, closed).state == ConsultationState.CLOSED
    with world.db.unit_of_work() as session:
        [reminder] = session.scalars(select(FollowUp).where(FollowUp.consultation_id == closed))
        assert (reminder.state, reminder.delivery) == (FollowUpState.PENDING, Delivery.SCHEDULED)


def test_backup_refuses_postgresql_with_the_command_to_use(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = "postgresql+psycopg://relais@127.0.0.1:1/relais"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "backup", str(tmp_path / "x.db")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "pg_dump" in done.stderr


def _relais(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_backup_to_a_missing_or_unwritable_place_is_one_sentence(db, tmp_path):
    """Before: a sqlite3.OperationalError traceback."""
    missing = _relais(db.url, "db", "backup", str(tmp_path / "no-folder" / "b.db"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"relais: the folder {tmp_path / 'no-folder'} for the backup does not exist; create it "
        "first"
    )
    unwritable = _relais(db.url, "db", "backup", "/proc/b.db")  # refused even to root
    assert unwritable.returncode == 2
    assert unwritable.stderr.strip() == (
        "relais: the backup could not be written to /proc/b.db (No such file or directory)"
    )


def test_a_restore_into_a_folder_that_does_not_exist_is_one_sentence(db, tmp_path):
    """Before: a FileNotFoundError traceback from the instance lock."""
    backup = tmp_path / "b.db"
    assert _relais(db.url, "db", "backup", str(backup)).returncode == 0
    url = f"sqlite:///{tmp_path / 'gone' / 'relais.db'}"
    done = _relais(url, "db", "restore", str(backup))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"relais: the folder {tmp_path / 'gone'} for the database (DATABASE_URL) does not exist; "
        "create it first"
    )


def test_a_backup_is_readable_by_its_owner_only_and_one_self_contained_file(db, tmp_path):
    """Before: created with the umask's mode (0644 here: readable by every local user), and
    in WAL mode, so that opening it left -wal and -shm files beside it."""
    backup = tmp_path / "backups" / "b.db"
    backup.parent.mkdir()
    before = os.umask(0o022)  # the usual umask, which the command inherits
    try:
        done = _relais(db.url, "db", "backup", str(backup))
    finally:
        os.umask(before)
    assert done.returncode == 0, done.stderr
    assert backup.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in backup.parent.iterdir()) == ["b.db"]
    target = tmp_path / "restored.db"
    restored = _relais(f"sqlite:///{target}", "db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert sorted(p.name for p in backup.parent.iterdir()) == ["b.db"]  # nothing left beside


def test_a_backup_in_wal_mode_restores_without_writing_beside_it(db, tmp_path):
    """A backup made before backups were written in rollback mode: opened read-only, it left
    -wal and -shm files in its folder (which must then be writable)."""
    import sqlite3

    backup = tmp_path / "backups" / "old.db"
    backup.parent.mkdir()
    assert _relais(db.url, "db", "backup", str(backup)).returncode == 0
    with sqlite3.connect(backup) as old:  # as the backups of the previous versions were
        assert old.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    old.close()
    assert sorted(p.name for p in backup.parent.iterdir()) == ["old.db"]
    target = tmp_path / "restored.db"
    restored = _relais(f"sqlite:///{target}", "db", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert sorted(p.name for p in backup.parent.iterdir()) == ["old.db"]
    listed = _relais(f"sqlite:///{target}", "users", "list")
    assert listed.returncode == 0, listed.stderr


def test_a_copy_of_the_data_folder_restores_with_the_transactions_still_in_its_log(
    db, tmp_path
):
    """A snapshot or an rsync of the folder (relais.db and relais.db-wal): read as immutable,
    the transactions in its write-ahead log were silently left out of the restore."""
    import shutil
    import sqlite3

    live = tmp_path / "live.db"
    shutil.copy(make_url(db.url).database or "", live)
    writer = sqlite3.connect(live)
    assert writer.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE since_the_checkpoint (x)")
    writer.execute("INSERT INTO since_the_checkpoint VALUES (42)")
    writer.commit()
    copy = tmp_path / "snapshot"
    copy.mkdir()
    shutil.copy(live, copy / "relais.db")
    shutil.copy(live.with_name("live.db-wal"), copy / "relais.db-wal")  # as a snapshot has it
    writer.close()
    target = tmp_path / "restored.db"
    restored = _relais(f"sqlite:///{target}", "db", "restore", str(copy / "relais.db"))
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(target) as check:
        assert check.execute("SELECT x FROM since_the_checkpoint").fetchall() == [(42,)]
    check.close()
