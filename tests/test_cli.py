"""The `relais` command as an administrator uses it: invites, the roster, the log; a wrong
argument gets one sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import SandboxServer
from tests.support.units import act
from tests.support.waiting import wait_until


def enrolled_worker(relais) -> int:
    """Enrol through an invite redeemed in the domain, as /start would."""
    from flows import enrolment
    from flows.store import Database, utc_now

    code = relais("invite", "--role", "worker", "--name", "Marie Roy", "--quiet").output.strip()
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    result = enrolment.redeem_invite(db, code, 5555, "fr", utc_now)
    assert result.person is not None
    return result.person.id


def test_shifts_are_added_listed_and_removed(relais):
    worker = enrolled_worker(relais)
    added = relais("shifts", "add", str(worker), "lun-mer", "08:00-16:00")
    assert added.exit_code == 0, added.output
    assert added.output.count("Added shift") == 3
    backup = relais("shifts", "add", str(worker), "sat", "22:00-06:00", "--on-call")
    assert "Added on-call" in backup.output
    listing = relais("shifts", "list")
    assert "mon  08:00-16:00" in listing.output
    assert "sat  22:00-06:00  on-call  Marie Roy" in listing.output
    first_id = listing.output.splitlines()[1].split()[0]
    assert relais("shifts", "remove", first_id).exit_code == 0
    assert relais("shifts", "list").output.count("Marie Roy") == 3


def test_shift_mistakes_get_one_sentence(relais):
    worker = enrolled_worker(relais)
    bad_day = relais("shifts", "add", str(worker), "someday", "08:00-16:00")
    assert bad_day.exit_code == 1 and "'someday' is not a day" in bad_day.output
    bad_hours = relais("shifts", "add", str(worker), "mon", "8 to 4")
    assert bad_hours.exit_code == 1 and "span of hours" in bad_hours.output
    nobody = relais("shifts", "add", "999", "mon", "08:00-16:00")
    assert nobody.exit_code == 1 and "no enrolled person" in nobody.output
    missing = relais("shifts", "remove", "42")
    assert missing.exit_code == 1 and "no shift with id 42" in missing.output
    assert "Traceback" not in bad_day.output + bad_hours.output + nobody.output


def test_users_list_shows_presence(relais):
    enrolled_worker(relais)
    listing = relais("users", "list")
    assert "worker" in listing.output and "Marie Roy" in listing.output


def enrol(relais, role: str, name: str, telegram_id: int) -> int:
    from flows import enrolment
    from flows.store import Database, utc_now

    code = relais("invite", "--role", role, "--name", name, "--quiet").output.strip()
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    result = enrolment.redeem_invite(db, code, telegram_id, "fr", utc_now)
    assert result.person is not None
    return result.person.id


def test_users_list_says_what_each_state_means_for_routing(relais):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flows import people
    from flows.models import Presence
    from flows.routing import RoutingPolicy
    from flows.store import Database, utc_now

    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    policy = RoutingPolicy()
    nobody = enrol(relais, "worker", "Nadia Sans Horaire", 11)
    shifted = enrol(relais, "worker", "Sam Toujours", 12)
    later = enrol(relais, "worker", "Lea Plus Tard", 13)
    on = enrol(relais, "worker", "Olivier Present", 14)
    off = enrol(relais, "worker", "Fanny Absente", 15)
    enrol(relais, "officer", "Julie Tremblay", 16)
    gone = enrol(relais, "worker", "Rene Parti", 17)
    relais("shifts", "add", str(shifted), "all", "00:00-12:00")
    relais("shifts", "add", str(shifted), "all", "12:00-00:00")  # on shift at any hour
    today = datetime.now(ZoneInfo("America/Montreal")).weekday()
    far_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 3) % 7]
    relais("shifts", "add", str(later), far_day, "00:00-01:00")
    relais("shifts", "add", str(off), "all", "00:00-12:00")
    relais("shifts", "add", str(off), "all", "12:00-00:00")
    people.set_presence(db, on, Presence.ON, utc_now, policy)
    people.set_presence(db, off, Presence.OFF, utc_now, policy)
    relais("users", "revoke", str(gone))

    listing = relais("users", "list").output
    cells = [re.split(r"\s{2,}", line.strip()) for line in listing.splitlines()]
    assert cells[0] == ["ID", "ROLE", "LANG", "STATE", "CASES", "NAME"]
    state = {row[0]: row[3] for row in cells[1:]}
    assert state[str(nobody)] == "unavailable (no shift)"
    assert state[str(shifted)] == "available (on shift)"
    assert state[str(later)] == "unavailable (off shift)"
    assert state[str(on)] == "available (/on)"
    assert state[str(off)] == "unavailable (/off)"
    assert state[str(gone)] == "revoked"
    assert next(row for row in cells if row[-1] == "Sam Toujours")[4] == "0/3"


def test_users_unit_refuses_someone_who_is_not_an_officer_and_changes_nothing(relais):
    """Before: a worker's or a supervisor's unit was set (exit 0), though reports group
    consultations by their officer's unit only."""
    from flows.models import Person
    from flows.store import Database

    worker = enrol(relais, "worker", "Marie Roy", 21)
    chief = enrol(relais, "supervisor", "Chef Lavoie", 22)
    officer = enrol(relais, "officer", "Julie Tremblay", 23)
    refusals = ((worker, "Marie Roy", "social worker"), (chief, "Chef Lavoie", "supervisor"))
    for person, name, role in refusals:
        refused = relais("users", "unit", str(person), "PDQ 21")
        assert refused.exit_code == 1  # as `shifts add` for someone who is not a worker
        assert refused.output == (
            f"relais: {name} (id {person}) is a {role}, not a police officer: only officers "
            "have a unit, by which the reports group their consultations; nothing changed "
            "(see `relais users list`).\n"
        )
    cleared = relais("users", "unit", str(worker))  # clearing changes nothing a report uses
    assert cleared.exit_code == 0, cleared.output
    set_unit = relais("users", "unit", str(officer), "PDQ 21")
    assert set_unit.exit_code == 0 and "unit PDQ 21" in set_unit.output
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    with db.unit_of_work() as session:
        units = {p.id: p.unit for p in session.query(Person)}
    assert units == {worker: None, chief: None, officer: "PDQ 21"}


def test_shifts_list_marks_the_shifts_of_a_revoked_worker(relais):
    """Before: a revoked worker's shifts were listed like anyone's, though routing no longer
    offers them anything."""
    gone = enroll_two_with_shifts(relais)
    relais("users", "revoke", str(gone))
    listing = relais("shifts", "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    [gone_line] = [line for line in lines if "Rene Parti" in line]
    [kept_line] = [line for line in lines if "Marie Roy" in line]
    assert gone_line.endswith(f"Rene Parti (id {gone}, revoked)")
    assert "revoked" not in kept_line
    assert lines[-1] == (
        "1 shift(s) of revoked people, marked above: routing ignores them; "
        "`relais shifts remove ID` removes one."
    )


def enroll_two_with_shifts(relais) -> int:
    kept = enrol(relais, "worker", "Marie Roy", 31)
    gone = enrol(relais, "worker", "Rene Parti", 32)
    assert relais("shifts", "add", str(kept), "mon", "08:00-16:00").exit_code == 0
    assert relais("shifts", "add", str(gone), "tue", "08:00-16:00").exit_code == 0
    assert "revoked" not in relais("shifts", "list").output
    return gone


def test_the_cli_and_relais_health_word_a_schema_problem_the_same_way(tmp_path, monkeypatch):
    """Before: `relais users list` said "the database is at revision 0005_subjects, this
    Relais needs ..." and `relais health` "at revision 0005_subjects, needs ...", two
    wordings of one problem."""
    from alembic import command
    from click.testing import CliRunner

    from bot.cli import main
    from flows.store import alembic_config

    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "RELAIS_TIMEZONE", "RELAIS_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    empty, old = tmp_path / "empty.db", tmp_path / "old.db"
    empty.touch()
    command.upgrade(alembic_config(f"sqlite:///{old}"), "0005_subjects")
    for path in (empty, old):
        env = {"DATABASE_URL": f"sqlite:///{path}"}
        listed = CliRunner().invoke(main, ["users", "list"], env=env)
        checked = CliRunner().invoke(main, ["health"], env=env)
        assert (listed.exit_code, checked.exit_code) == (2, 1)
        sentence = listed.output.strip().removeprefix("relais: ")
        assert "relais db upgrade" in sentence
        assert checked.output.strip() == f"database: FAILING ({sentence})"


def test_consultations_show_prints_names_and_labels_not_ids_and_codes(relais):
    from flows import consultations, handover, people, relaying
    from flows.consultations import record_event
    from flows.models import EventKind, Presence
    from flows.routing import RoutingPolicy
    from flows.store import Database, utc_now
    from flows.vocabulary import Category, Outcome, Urgency

    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    policy = RoutingPolicy()
    officer = enrol(relais, "officer", "Julie Tremblay", 21)
    marie = enrol(relais, "worker", "Marie Roy", 22)
    luc = enrol(relais, "worker", "Luc Gagnon", 23)
    boss = enrol(relais, "supervisor", "Anne Lavoie", 24)
    for worker in (marie, luc):
        people.set_presence(db, worker, Presence.ON, utc_now, policy)
    draft = act(db, utc_now, relaying.open_draft, officer, "homme agité, refuse de parler")
    act(db, utc_now, consultations.set_category, officer, draft.id, Category.MENTAL_HEALTH)
    act(db, utc_now, consultations.submit, officer, draft.id, Urgency.URGENT, policy)
    act(db, utc_now, consultations.accept, marie, draft.id, policy)
    act(db, utc_now, handover.reassign, boss, draft.id, luc, policy)
    luc_view = people.get(db, luc)
    assert luc_view is not None
    act(db, utc_now, consultations.close, luc_view, draft.id, policy)
    act(db, utc_now, consultations.record_outcome, luc, draft.id, Outcome.VOLUNTARY_HOSPITAL)
    with db.unit_of_work() as session:
        record_event(
            session, draft.id, EventKind.FOLLOWUP_REMINDED, None, utc_now(), followup=1, to=[luc]
        )

    shown = relais("consultations", "show", draft.reference)
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "Mental health / Urgent (within the hour)" in out
    assert "outcome: Voluntary transport to hospital" in out
    assert f"officer: Julie Tremblay (#{officer})" in out
    assert f"worker: Luc Gagnon (#{luc})" in out
    lines = out.splitlines()
    offered = [line for line in lines if "Offered" in line]
    assert any(f"worker: Marie Roy (#{marie})" in line for line in offered), out
    reassigned = next(line for line in lines if "Reassigned" in line)
    assert f"to: Luc Gagnon (#{luc})" in reassigned
    assert f"previous: Marie Roy (#{marie})" in reassigned
    reminded = next(line for line in lines if "Follow-up reminder sent" in line)
    assert f"to: Luc Gagnon (#{luc})" in reminded
    for raw in ("worker_id=", "to=[", "voluntary_hospital", "mental_health", "outcome_recorded"):
        assert raw not in out


# -- `relais run` start-up: one sentence, exit code 2, never the token ------------------

REPO = Path(__file__).resolve().parents[1]
WRONG_TOKEN = "123456:WRONG-token-that-must-never-be-printed"


def relais_env(tmp_path: Path, retry_seconds: int) -> dict[str, str]:
    """The environment of a `relais run` in tmp_path, none of this shell's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.db'}"
    env["RELAIS_STARTUP_RETRY_SECONDS"] = str(retry_seconds)
    env["RELAIS_DIRECTORY_PATH"] = str(REPO / "resources_directory.yaml")
    env["RELAIS_SCREENING_PATH"] = str(REPO / "screening.yaml")
    return env


def run_relais(
    tmp_path: Path, *args: str, retry_seconds: int = 0
) -> subprocess.CompletedProcess[str]:
    env = relais_env(tmp_path, retry_seconds)
    env["RELAIS_LOG_LEVEL"] = "WARNING"  # the start-up's INFO lines aside: only the sentence
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_with_a_token_telegram_rejects_exits_2_with_one_sentence_and_no_token(tmp_path):
    with SandboxServer(token="654321:the-token-this-sandbox-accepts") as sandbox:
        done = run_relais(tmp_path, "--token", WRONG_TOKEN, "--base-url", sandbox.base_url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"relais: the Bot API at {sandbox.base_url} rejected the bot token (InvalidToken); "
        "check TELEGRAM_BOT_TOKEN (or --token) is the one BotFather gave you"
    ]
    assert "WRONG-token" not in done.stderr + done.stdout


def test_an_unreachable_bot_api_is_retried_for_the_start_up_time_then_exits_2(tmp_path):
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    started = time.monotonic()
    done = run_relais(tmp_path, "--token", WRONG_TOKEN, "--base-url", base_url, retry_seconds=3)
    assert done.returncode == 2
    assert time.monotonic() - started >= 3
    assert done.stderr.count("start-up: the Bot API answered NetworkError; retrying") >= 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(f"relais: the Bot API at {base_url} could not be reached (ConnectError)")
    )
    assert "WRONG-token" not in done.stderr + done.stdout


def test_a_stop_during_start_up_retries_ends_the_process_at_once_with_exit_0(tmp_path):
    """A service manager's stop (SIGTERM) while Telegram is still unreachable: before, the
    process waited out the whole start-up patience (here 600 s) and was killed."""
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    env = relais_env(tmp_path, retry_seconds=600)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--token", WRONG_TOKEN, "--base-url", base_url],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: "retrying in" in log_path.read_text(), 30, "a start-up retry")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out = log_path.read_text()
    assert "stopped during start-up" in out
    assert "Traceback" not in out and "WRONG-token" not in out


def test_run_against_an_unreachable_bot_api_exits_2_with_one_sentence(tmp_path):
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    done = run_relais(tmp_path, "--token", WRONG_TOKEN, "--base-url", base_url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"relais: the Bot API at {base_url} could not be reached (ConnectError); check "
        "TELEGRAM_API_BASE_URL (or --base-url) and the network"
    ]
    assert "WRONG-token" not in done.stderr + done.stdout


def test_an_invite_may_carry_the_persons_number_for_call_me(relais):
    from flows import enrolment, phones
    from flows.store import Database, utc_now

    issued = relais("invite", "--role", "worker", "--name", "Marie Roy", "--phone", "514 555 0123")
    assert issued.exit_code == 0, issued.output
    assert "phone for 'Call me': +1 514-555-0123" in issued.output
    code = next(line.split()[-1] for line in issued.output.splitlines() if "code:" in line)
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    person = enrolment.redeem_invite(db, code, 5556, "fr", utc_now).person
    assert person is not None
    with db.unit_of_work() as session:
        assert phones.number_of(session, person.id) == "+15145550123"


def test_an_invite_with_a_number_that_is_not_one_is_refused_before_anything_is_made(relais):
    refused = relais("invite", "--role", "worker", "--name", "Marie Roy", "--phone", "12")
    assert refused.exit_code == 2
    assert "not a valid phone number for region CA" in refused.output


# -- the database at `relais run`'s start-up: waited for when it may come back ------------


def run_on_database(tmp_path: Path, url: str, retry_seconds: int):
    env = relais_env(tmp_path, retry_seconds)
    env["DATABASE_URL"] = url
    env["RELAIS_LOG_LEVEL"] = "INFO"
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--token", WRONG_TOKEN, "--base-url",
         f"http://127.0.0.1:{free_port()}/bot"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_database_away_at_start_up_is_retried_for_the_start_up_time_then_exits_1(tmp_path):
    """Exit 2 at once (before) told systemd never to restart it, for a server merely late."""
    url = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{free_port()}/relais"
    started = time.monotonic()
    done = run_on_database(tmp_path, url, retry_seconds=3)
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started >= 3
    assert done.stderr.count("start-up: the database could not be reached (OperationalError") >= 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("relais: DATABASE_URL could not be opened (OperationalError")
    assert last.endswith(
        "(still unreachable after the start-up's 3s, RELAIS_STARTUP_RETRY_SECONDS)"
    )
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr


def upgrade_on_database(tmp_path: Path, url: str, retry_seconds: int):
    env = relais_env(tmp_path, retry_seconds)
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_db_upgrade_waits_for_a_database_away_as_run_does_then_exits_1(tmp_path):
    """`ExecStartPre=relais db upgrade` at boot, PostgreSQL not up yet: before, exit 2 at
    once ("configuration"), so systemd's RestartPreventExitStatus=2 never retried it."""
    url = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{free_port()}/relais"
    started = time.monotonic()
    done = upgrade_on_database(tmp_path, url, retry_seconds=3)
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started >= 3
    assert done.stderr.count("start-up: the database could not be reached (OperationalError") >= 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("relais: DATABASE_URL could not be opened (OperationalError")
    assert last.endswith(
        "(still unreachable after the start-up's 3s, RELAIS_STARTUP_RETRY_SECONDS)"
    )
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
    assert "up to date" not in done.stdout


def test_a_stop_while_db_upgrade_waits_ends_it_at_once_and_not_with_exit_0(tmp_path):
    """Not 0: in `relais db upgrade && exec relais run` a stop must not go on to run."""
    env = relais_env(tmp_path, retry_seconds=600)
    env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/relais"
    log_path = tmp_path / "upgrade.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(lambda: "retrying in" in log_path.read_text(), 30, "a start-up retry")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out = log_path.read_text()
    assert "stopped during start-up" in out and "Traceback" not in out


def test_run_says_when_it_creates_a_new_sqlite_database(tmp_path):
    """Before, silently: a database moved away was replaced by an empty one, unnoticed."""
    done = run_on_database(tmp_path, f"sqlite:///{tmp_path / 'new.db'}", retry_seconds=0)
    assert (tmp_path / "new.db").exists()
    assert done.stderr.count("creating a new, empty one") == 1
    assert f"no database at {tmp_path / 'new.db'}: creating a new, empty one" in done.stderr
    again = run_on_database(tmp_path, f"sqlite:///{tmp_path / 'new.db'}", retry_seconds=0)
    assert "creating a new" not in again.stderr


@pytest.mark.parametrize("leftover", ["-wal", "-shm"])
def test_run_refuses_to_start_afresh_where_a_database_seems_moved_or_deleted(tmp_path, leftover):
    """Its write-ahead log (or shared-memory file) left beside a missing file: before, a new
    empty database was made, and every enrolled officer was then refused."""
    (tmp_path / f"relais.db{leftover}").write_bytes(b"\0" * 32)
    done = run_on_database(tmp_path, f"sqlite:///{tmp_path / 'relais.db'}", retry_seconds=0)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"relais: the database file {tmp_path / 'relais.db'} does not exist, but "
        f"relais.db{leftover} does: the database seems to have been moved or deleted; put it "
        "back (or restore a backup), rather than start on a new, empty one"
    ]
    assert not (tmp_path / "relais.db").exists()


def test_a_database_file_with_several_names_is_refused_by_run_and_every_command(
    relais, tmp_path
):
    """SQLite keeps its write-ahead log beside the name a file was opened by: a hard link is a
    second log for the same file, and two processes on two names can corrupt it (SQLite's
    own list of ways to corrupt a database). Before, only a second `relais run` was kept out
    (the instance lock); `relais users list` through the other name opened it."""
    os.link(tmp_path / "cli.db", tmp_path / "alias.db")
    listed = relais("users", "list")
    assert listed.exit_code == 2
    assert "has 2 names (hard links)" in listed.output and "corrupt" in listed.output
    done = run_on_database(tmp_path, f"sqlite:///{tmp_path / 'alias.db'}", retry_seconds=0)
    assert done.returncode == 2 and "has 2 names (hard links)" in done.stderr
    (tmp_path / "alias.db").unlink()
    assert relais("users", "list").exit_code == 0


@pytest.mark.postgres
def test_a_database_url_that_can_never_work_exits_2_at_once_without_retrying(tmp_path):
    from tests.support.databases import POSTGRES_URL, require_postgres

    require_postgres()
    from sqlalchemy.engine import make_url

    unknown = make_url(POSTGRES_URL).set(database="relais_no_such_database")
    for url in (
        unknown.render_as_string(hide_password=False),
        f"sqlite:///{tmp_path / 'no-folder' / 'relais.db'}",
    ):
        started = time.monotonic()
        done = run_on_database(tmp_path, url, retry_seconds=30)
        assert done.returncode == 2, done.stderr
        assert time.monotonic() - started < 20
        assert "retrying" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# -- the health port at start-up: one sentence, exit 2 ------------------------------------

SANDBOX_TOKEN = "654321:the-token-this-sandbox-accepts"


@pytest.mark.parametrize("taken", [True, False], ids=["port in use", "host unresolvable"])
def test_a_health_port_that_cannot_be_opened_is_one_sentence_and_exit_2(tmp_path, taken):
    """Before, an OSError (or a gaierror) traceback and exit 1: systemd restarted it forever."""
    with socket.socket() as holder, SandboxServer(token=SANDBOX_TOKEN) as sandbox:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1] if taken else free_port()
        host = "127.0.0.1" if taken else "no-such-host.invalid"
        done = run_relais(
            tmp_path, "--token", SANDBOX_TOKEN, "--base-url", sandbox.base_url,
            "--listen", host, "--port", str(port),
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    if taken:
        assert last == (
            f"relais: RELAIS_HTTP_PORT (or --port) {port} is already in use on 127.0.0.1; "
            "stop what listens there or choose another port"
        )
    else:
        assert last.startswith(
            "relais: RELAIS_HTTP_HOST (or --listen) 'no-such-host.invalid' is not an address "
            "of this machine"
        )
    assert "Traceback" not in done.stderr


def test_a_webhook_telegram_refuses_is_reported_with_its_reason_not_as_unreachable(tmp_path):
    """Before: "the Bot API could not be reached (BadRequest); check TELEGRAM_API_BASE_URL"."""
    with SandboxServer(token=SANDBOX_TOKEN) as sandbox:
        done = run_relais(
            tmp_path, "--token", SANDBOX_TOKEN, "--base-url", sandbox.base_url,
            "--webhook-url", "https://relais.example.org/telegram", "--port", str(free_port()),
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("relais: the Bot API refused the webhook (BadRequest: ")
    assert last.endswith(
        "check RELAIS_WEBHOOK_URL (or --webhook-url): an https URL that reaches this process"
    )
    assert "could not be reached" not in done.stderr
