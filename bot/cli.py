"""The `relais` command: run the bot, play the offline demo, enrol people, read the log,
migrate the database. Configuration errors end with one sentence and exit code 2."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.i18n import CLI_LANGUAGE, DEFAULT_CLI_LANGUAGE, cli_language, set_cli_language, t
from bot.reports.formats import FORMATS
from bot.reports.run import produce
from bot.schema import schema_problem
from bot.settings import (
    MONTH_HOURS,
    ConfigError,
    Settings,
    load_settings,
    mask_password,
    read_cli_language,
)
from bot.timeline import person_label, timeline_lines
from flows import enrolment, people, phones, roster, routing, settings_store, views
from flows.directory import CATEGORIES as RESOURCE_CATEGORIES
from flows.people import PersonView
from flows.reports.figures import Grouping
from flows.reports.period import Period
from flows.store import Database, SchemaState, sqlite_file, unreachable_for_now, utc_now
from flows.subjects import Seen
from flows.vocabulary import Role

if TYPE_CHECKING:
    from flows.subject_records import AuditLine

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("bot.cli")


def friendly(fn: F) -> F:
    """Turn configuration errors into one sentence on stderr and exit code 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"relais: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


class DatabaseAway(Exception):
    """The database could not be reached, for a reason that may pass (the server restarting,
    the network not up yet): `relais run` waits for it at start-up."""

    def __init__(self, sentence: str, cause: str) -> None:
        super().__init__(sentence)
        self.cause = cause  # the error's class and first line, password masked


def open_database(settings: Settings, *, migrate: bool = False) -> Database:
    """The configured database. Only `relais run` and `relais db upgrade` migrate it; every
    other command uses the schema as it is, after checking it is this code's (an operator
    upgrades after a backup, not as a side effect of listing people)."""
    try:
        return connect_database(settings, migrate=migrate)
    except DatabaseAway as exc:
        raise ConfigError(str(exc)) from None


def connect_database(settings: Settings, *, migrate: bool) -> Database:
    """As open_database, but a database away for now raises DatabaseAway (worth waiting for)
    and one that can never work ConfigError."""
    return _connect(settings, migrate)[0]


def migrated_database(settings: Settings) -> tuple[Database, SchemaState]:
    """The database migrated, and its schema's state before (what the migration did), or
    DatabaseAway / ConfigError as connect_database."""
    return _connect(settings, True)


def _connect(settings: Settings, migrate: bool) -> tuple[Database, SchemaState]:
    url = settings.database_url
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        raise ConfigError(t(CLI_LANGUAGE, "cli.database_url.no_folder", folder=path.parent))
    if path is not None and not migrate and not path.exists():
        raise ConfigError(t(CLI_LANGUAGE, "cli.database_file.missing", path=path))
    if path is not None and path.exists() and (links := path.stat().st_nlink) > 1:
        # SQLite names its -wal and -shm files from the path it was opened by
        raise ConfigError(
            t(CLI_LANGUAGE, "cli.database_file.linked", path=path.resolve(), links=links)
        )
    if path is not None and migrate and not path.exists():
        # SQLite would create an empty database here: not when what is left of one (its
        # write-ahead log, its shared-memory index) says the file was moved or deleted.
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if leftover.exists():
                raise ConfigError(
                    t(
                        CLI_LANGUAGE,
                        "cli.database_file.gone",
                        path=path.resolve(),
                        leftover=leftover.name,
                    )
                )
        log.info("no database at %s: creating a new, empty one", path.resolve())
    db: Database | None = None
    try:
        db = Database(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        state = db.schema_state()
        if migrate and state.known:
            db.upgrade()
    except Exception as exc:  # unreachable server, bad path, permissions, missing driver
        if db is not None:
            db.dispose()
        first_line = mask_password(str(exc).splitlines()[0] if str(exc) else "")
        cause = f"{type(exc).__name__}: {first_line}"
        if unreachable_for_now(exc):
            away = t(CLI_LANGUAGE, "cli.database_url.away", cause=cause)
            raise DatabaseAway(away, cause) from None
        raise ConfigError(t(CLI_LANGUAGE, "cli.database_url.unusable", cause=cause)) from None
    problem = schema_problem(state, migrate)
    if problem is not None:
        db.dispose()
        raise ConfigError(problem)
    return db, state


class _StopRequested(BaseException):
    """SIGTERM while start-up waits for the database (not an Exception: it passes through
    the handlers of a failed connection)."""


def _stop_requested(_signum: int, _frame: object) -> None:
    raise _StopRequested


def database_at_start_up(settings: Settings) -> Database:
    """`relais run`'s database, migrated. One away for now (a server restarting, the network
    not up yet at boot) is waited for as the Bot API is, for RELAIS_STARTUP_RETRY_SECONDS,
    then exit 1: a fault a service manager restarts, where exit 2 would stop it for good. A
    URL that can never work is exit 2 at once. A stop meanwhile ends it with exit 0."""
    return wait_for_database(settings, stopped_exit=0)[0]


def wait_for_database(settings: Settings, *, stopped_exit: int) -> tuple[Database, SchemaState]:
    """The database, migrated, waited for as database_at_start_up says (`relais run` and
    `relais db upgrade` alike: `ExecStartPre=relais db upgrade` runs at boot too), with the
    schema's state before the migration. A stop meanwhile ends it with stopped_exit."""
    from bot.app import STARTUP_FIRST_PAUSE_S, STARTUP_MAX_PAUSE_S

    deadline = time.monotonic() + settings.startup_retry_seconds
    pause = STARTUP_FIRST_PAUSE_S
    previous = signal.signal(signal.SIGTERM, _stop_requested)
    try:
        while True:
            try:
                return migrated_database(settings)
            except DatabaseAway as exc:
                left = deadline - time.monotonic()
                if left <= 0:
                    seconds = settings.startup_retry_seconds
                    sentence = t(
                        CLI_LANGUAGE, "cli.startup.still_away", problem=exc, seconds=seconds
                    )
                    click.echo(f"relais: {sentence}", err=True)
                    sys.exit(1)
                wait = min(pause, left)
                log.warning(
                    "start-up: the database could not be reached (%s); retrying in %.0fs",
                    exc.cause,
                    wait,
                )
                time.sleep(wait)
                pause = min(pause * 2, STARTUP_MAX_PAUSE_S)
    except (_StopRequested, KeyboardInterrupt):
        log.info("stopped during start-up")
        sys.exit(stopped_exit)
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group()
@friendly
def main() -> None:
    """Relais: police–social-work co-response over Telegram."""
    set_cli_language(DEFAULT_CLI_LANGUAGE)  # a refused RELAIS_CLI_LANGUAGE is said in English
    set_cli_language(read_cli_language())


@main.command()
@click.option("--token", help="Bot token (overrides TELEGRAM_BOT_TOKEN).")
@click.option("--base-url", help="Bot API base URL, e.g. http://127.0.0.1:8081/bot.")
@click.option(
    "--webhook-url",
    help="Webhook mode: the https URL Telegram POSTs updates to (RELAIS_WEBHOOK_URL).",
)
@click.option("--listen", help="Address the HTTP server listens on (RELAIS_HTTP_HOST).")
@click.option(
    "--port", type=int, help="Port of the webhook, /healthz and /metrics (RELAIS_HTTP_PORT)."
)
@friendly
def run(
    token: str | None,
    base_url: str | None,
    webhook_url: str | None,
    listen: str | None,
    port: int | None,
) -> None:
    """Run the bot (long polling, or behind a webhook with --webhook-url) until stopped; exit
    1 when a part of it died (so a supervisor restarts it), 2 when the configuration is
    wrong."""
    settings = load_settings(
        telegram_bot_token=token,
        telegram_api_base_url=base_url,
        webhook_url=webhook_url,
        http_host=listen,
        http_port=port,
    )
    settings.require_token()
    settings.require_subject_secret()
    settings.require_webhook_port()
    settings.configured_webhook_secret()  # a secret file that cannot be read stops here
    _configure_logging(settings.log_level, settings.log_format)
    db = database_at_start_up(settings)
    from bot.app import run as run_bot
    from bot.instance_lock import InstanceLock

    with InstanceLock.acquire(db, shared=settings.webhook_mode) as lock:
        sys.exit(run_bot(settings, db, utc_now, lock))


@main.command()
@click.option("--keep-database", type=click.Path(), help="Keep the demo's SQLite file here.")
@friendly
def demo(keep_database: str | None) -> None:
    """Play a complete consultation offline against the built-in sandbox; print the transcript."""
    from bot.demo import play

    sys.exit(play(keep_database))


@main.command()
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="The person's display name.")
@click.option(
    "--ttl-hours",
    type=click.IntRange(min=1, max=MONTH_HOURS),
    help=f"Validity in hours, 1 to {MONTH_HOURS} (30 days, the bound of "
    "RELAIS_INVITE_TTL_HOURS); default RELAIS_INVITE_TTL_HOURS, else 72.",
)
@click.option(
    "--phone",
    help="The person's own number for 'Call me', given with their agreement "
    "(e.g. '514 555 0123'; region RELAIS_PHONE_REGION, default CA).",
)
@click.option("--quiet", is_flag=True, help="Print only the code.")
@friendly
def invite(role: str, name: str, ttl_hours: int | None, phone: str | None, quiet: bool) -> None:
    """Issue a one-time invite code and its t.me link."""
    settings = load_settings()
    if not name.strip():
        raise click.BadParameter(t(CLI_LANGUAGE, "cli.invite.empty_name"), param_hint="--name")
    number = phones.normalise(phone, settings.phone_region) if phone is not None else None
    if phone is not None and number is None:
        region = settings.phone_region
        sentence = t(CLI_LANGUAGE, "cli.invite.bad_phone", region=region, phone=repr(phone))
        raise click.BadParameter(sentence, param_hint="--phone")
    db = open_database(settings)
    ttl = timedelta(hours=ttl_hours or settings.invite_ttl_hours)
    issued = enrolment.create_invite(db, Role(role), name, utc_now, ttl, number)
    if quiet:
        click.echo(issued.code)
        return
    username = settings.bot_username or settings_store.get(db, "bot_username")
    until = f"{issued.expires_at.astimezone(settings.zone):%Y-%m-%d %H:%M %Z}"
    name, role, code = issued.display_name, issued.role.value, issued.code
    click.echo(t(CLI_LANGUAGE, "cli.invite.header", name=name, role=role, until=until))
    click.echo(t(CLI_LANGUAGE, "cli.invite.code", code=code))
    if number is not None:
        click.echo(t(CLI_LANGUAGE, "cli.invite.phone", phone=phones.shown(number)))
    if username:
        click.echo(t(CLI_LANGUAGE, "cli.invite.link", username=username, code=code))
    else:
        click.echo(t(CLI_LANGUAGE, "cli.invite.link_unknown", code=code))
        click.echo(t(CLI_LANGUAGE, "cli.invite.link_hint"))
    click.echo(t(CLI_LANGUAGE, "cli.invite.send", code=code))


@main.group()
def users() -> None:
    """Enrolled people."""


@users.command("list")
@friendly
def users_list() -> None:
    """List enrolled people and where each stands for routing now."""
    settings = load_settings()
    db = open_database(settings)
    rows = people.list_people(db)
    if not rows:
        click.echo(t(CLI_LANGUAGE, "cli.users.none"))
        return
    now = utc_now()
    availability = routing.availability_of_everyone(db, now, settings.policy)
    column = functools.partial(_column, "users")
    click.echo(
        f"{column('id'):>4}  {column('role'):<10}  {column('lang'):<4}  {column('state'):<30}  "
        f"{column('cases'):<5}  {column('name')}"
    )
    for p in rows:
        state, cases = _routing_state(p, availability[p.id])
        click.echo(
            f"{p.id:>4}  {p.role.value:<10}  {p.language:<4}  {state:<30}  {cases:<5}  "
            f"{p.display_name}"
        )


def _column(table: str, name: str) -> str:
    """A column's heading in a table the CLI prints (`cli.users.column.role`...)."""
    return t(CLI_LANGUAGE, f"cli.{table}.column.{name}")


def _routing_state(person: PersonView, where: routing.Availability) -> tuple[str, str]:
    """(state, cases) for one person: the words say what routing decides, not the raw field."""
    if not person.active:
        return t(CLI_LANGUAGE, "cli.users.state.revoked"), "—"
    if person.role == Role.OFFICER:
        return "—", "—"
    if person.role == Role.SUPERVISOR:
        return t(CLI_LANGUAGE, "cli.users.state.escalations"), f"{where.active}"
    standing = where.standing
    if standing.presence is not None:
        why = f"/{standing.presence.value}"
    elif standing.on_shift:
        why = t(CLI_LANGUAGE, "cli.users.state.on_shift")
    elif where.has_shifts:
        why = t(CLI_LANGUAGE, "cli.users.state.off_shift")
    else:
        why = t(CLI_LANGUAGE, "cli.users.state.no_shift")
    available = "available" if standing.available else "unavailable"
    state = t(CLI_LANGUAGE, f"cli.users.state.{available}", why=why)
    if standing.on_call:
        state = t(CLI_LANGUAGE, "cli.users.state.on_call", state=state)
    return state, f"{where.active}/{where.capacity}"


@users.command("revoke")
@click.argument("person_id", type=int)
@friendly
def users_revoke(person_id: int) -> None:
    """Revoke someone's access (they become an unknown user to the bot). Someone already
    revoked exits 1: the id was most likely mistyped, and whoever was meant still has access."""
    settings = load_settings()
    db = open_database(settings)
    known = people.get(db, person_id)
    if known is not None and known.revoked_at is not None:
        when = known.revoked_at.astimezone(settings.zone)
        sentence = t(
            CLI_LANGUAGE,
            "cli.users.already_revoked",
            name=known.display_name,
            role=known.role.value,
            id=person_id,
            when=f"{when:%Y-%m-%d %H:%M %Z}",
        )
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    revoked = enrolment.revoke(db, person_id, utc_now)
    if revoked is None:
        sentence = t(CLI_LANGUAGE, "cli.users.no_such_person", id=person_id)
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    click.echo(
        t(
            CLI_LANGUAGE,
            "cli.users.revoked",
            name=revoked.display_name,
            role=revoked.role.value,
            id=revoked.id,
        )
    )


@users.command("unit")
@click.argument("person_id", type=int)
@click.argument("unit", required=False)
@friendly
def users_unit(person_id: int, unit: str | None) -> None:
    """Set an officer's unit (e.g. "PDQ 21"), a grouping of the reports; no UNIT clears it.
    Someone who is not an officer exits 1, nothing changed (as `shifts add` for a non-worker)."""
    settings = load_settings()
    db = open_database(settings)
    try:
        person = people.set_unit(db, person_id, unit)
    except people.NotAnOfficer as exc:
        who = exc.person
        role = t(CLI_LANGUAGE, f"role.{who.role.value}")
        sentence = t(
            CLI_LANGUAGE, "cli.unit_not_officer", name=who.display_name, id=who.id, role=role
        )
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    if person is None:
        sentence = t(CLI_LANGUAGE, "cli.users.no_such_person", id=person_id)
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    shown = unit.strip() if unit else "—"
    click.echo(
        t(CLI_LANGUAGE, "cli.users.unit_set", name=person.display_name, id=person_id, unit=shown)
    )


@main.group(name="consultations")
def consultations_group() -> None:
    """The consultation log."""


@consultations_group.command("list")
@click.option("--limit", default=50, show_default=True)
@friendly
def consultations_list(limit: int) -> None:
    """Most recent consultations first."""
    settings = load_settings()
    db = open_database(settings)
    rows = views.list_consultations(db, limit)
    if not rows:
        click.echo(t(CLI_LANGUAGE, "cli.consultations.none"))
        return
    zone = settings.zone
    column = functools.partial(_column, "consultations")
    click.echo(
        f"{column('ref'):<8} {column('opened'):<16} {column('state'):<8} "
        f"{column('urgency'):<10} {column('category'):<18} {column('people')}"
    )
    for c in rows:
        worker = c.worker.display_name if c.worker else "—"
        click.echo(
            f"{c.reference:<8} {c.created_at.astimezone(zone):%Y-%m-%d %H:%M} "
            f"{c.state.value:<8} {(c.urgency or '—'):<10} {(c.category or '—'):<18} "
            f"{c.officer.display_name} -> {worker}"
        )


@consultations_group.command("show")
@click.argument("reference")
@friendly
def consultations_show(reference: str) -> None:
    """One consultation and its timeline of events (times in the service's zone)."""
    settings = load_settings()
    db = open_database(settings)
    cid = views.parse_reference(reference)
    c = views.get_view(db, cid) if cid else None
    if c is None:
        sentence = t(CLI_LANGUAGE, "cli.consultations.no_such", reference=reference)
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    zone = settings.zone
    label = functools.partial(t, CLI_LANGUAGE)
    category = label(f"category.{c.category.value}") if c.category else "—"
    urgency = label(f"urgency.{c.urgency.value}") if c.urgency else "—"
    outcome = label(f"outcome.{c.outcome.value}") if c.outcome else "—"
    names = {p.id: p.display_name for p in people.list_people(db)}
    worker = person_label(c.worker.id, names) if c.worker else "—"
    click.echo(
        label(
            "cli.consultations.summary",
            reference=c.reference,
            state=c.state.value,
            category=category,
            urgency=urgency,
            outcome=outcome,
        )
    )
    officer = person_label(c.officer.id, names)
    click.echo(label("cli.consultations.people", officer=officer, worker=worker))
    click.echo(label("cli.consultations.request", text=c.request_text or "—"))
    click.echo(label("cli.consultations.timeline", zone=settings.timezone))
    for line in timeline_lines(db, c.id, zone, names):
        click.echo(line)


@main.group()
def shifts() -> None:
    """The weekly roster (times in the service's time zone)."""


@shifts.command("list")
@friendly
def shifts_list() -> None:
    """Every shift, by day and start time. Those of someone revoked are marked (routing
    ignores them; they stay until removed, so they are shown with their ids to remove)."""
    settings = load_settings()
    rows = roster.list_shifts(open_database(settings))
    if not rows:
        click.echo(t(CLI_LANGUAGE, "cli.shifts.none"))
        return
    column = functools.partial(_column, "shifts")
    click.echo(
        f"{column('id'):>4}  {column('day'):<4} {column('hours'):<12} {column('kind'):<8} "
        f"{column('person')}"
    )
    for s in rows:
        kind = _shift_kind(s)
        who = (
            t(CLI_LANGUAGE, "cli.shifts.revoked_person", name=s.person_name, id=s.person_id)
            if s.revoked
            else f"{s.person_name} (id {s.person_id})"
        )
        day = t(CLI_LANGUAGE, f"day.{s.day}").lower()  # as typed: mon, lun
        click.echo(f"{s.id:>4}  {day:<4} {s.starts}-{s.ends:<6} {kind:<8} {who}")
    revoked = sum(s.revoked for s in rows)
    if revoked:
        click.echo(t(CLI_LANGUAGE, "cli.shifts.revoked_note", count=revoked))


@shifts.command("add")
@click.argument("person_id", type=int)
@click.argument("days")
@click.argument("hours")
@click.option("--on-call", is_flag=True, help="A backup for off hours (escalation's tier 2).")
@friendly
def shifts_add(person_id: int, days: str, hours: str, on_call: bool) -> None:
    """Add weekly shifts: DAYS like mon-fri, lun,mer or all; HOURS like 08:00-16:00 (an end
    before the start runs past midnight; 16:00-24:00 ends at midnight). A shift the person
    already has is not added again; one overlapping another of theirs is added with a
    warning."""
    settings = load_settings()
    try:
        change = roster.add_checked(
            open_database(settings), person_id, days, hours, on_call, utc_now
        )
    except roster.RosterError as exc:
        problem = t(CLI_LANGUAGE, f"cli.shifts.invalid.{exc.code}", **exc.params)
        click.echo(f"relais: {problem}", err=True)
        sys.exit(1)
    for s in change.already:
        click.echo(t(CLI_LANGUAGE, "cli.shifts.already", shift=_shift_line(s)))
    for s in change.added:
        click.echo(t(CLI_LANGUAGE, "cli.shifts.added", shift=_shift_line(s)))
    for new, old in change.overlaps:
        overlap = t(CLI_LANGUAGE, "cli.shifts.overlap", new=_shift_line(new), old=_shift_line(old))
        click.echo(f"relais: {overlap}", err=True)


def _shift_kind(s: roster.ShiftView) -> str:
    return t(CLI_LANGUAGE, "cli.shifts.kind.on_call" if s.on_call else "cli.shifts.kind.shift")


def _shift_line(s: roster.ShiftView) -> str:
    return t(
        CLI_LANGUAGE,
        "cli.shifts.line",
        kind=_shift_kind(s),
        id=s.id,
        day=t(CLI_LANGUAGE, f"day.{s.day}").lower(),
        starts=s.starts,
        ends=s.ends,
        name=s.person_name,
    )


@shifts.command("remove")
@click.argument("shift_id", type=int)
@friendly
def shifts_remove(shift_id: int) -> None:
    """Remove one shift (ids from `relais shifts list`)."""
    settings = load_settings()
    if not roster.remove_shift(open_database(settings), shift_id):
        sentence = t(CLI_LANGUAGE, "cli.shifts.no_such", id=shift_id)
        click.echo(f"relais: {sentence}", err=True)
        sys.exit(1)
    click.echo(t(CLI_LANGUAGE, "cli.shifts.removed", id=shift_id))


@main.command()
@click.option("--dry-run", is_flag=True, help="Only say what would be purged.")
@friendly
def purge(dry_run: bool) -> None:
    """Purge free text older than the retention period (RELAIS_RETENTION_DAYS) and transport
    copies older than RELAIS_TRANSPORT_RETENTION_DAYS; events and figures stay."""
    from flows import retention

    settings = load_settings()
    db = open_database(settings)
    done = retention.purge(db, utc_now, settings.retention_policy, dry_run=dry_run)
    key = "cli.purge.would" if dry_run else "cli.purge.done"
    for item in done:
        cutoff = f"{item.cutoff.astimezone(settings.zone):%Y-%m-%d %H:%M}"
        click.echo(t(CLI_LANGUAGE, key, rows=f"{item.rows:>6}", name=item.name, cutoff=cutoff))
    if dry_run:
        click.echo(t(CLI_LANGUAGE, "cli.purge.dry_run"))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply the Alembic migrations not yet applied. A database that does not answer yet is
    waited for as `relais run` waits (RELAIS_STARTUP_RETRY_SECONDS), then exit 1; a stop
    meanwhile is exit 1 too, so that `relais db upgrade && relais run` goes no further."""
    settings = load_settings()
    _configure_logging(settings.log_level, settings.log_format)
    db, before = wait_for_database(settings, stopped_exit=1)
    db.dispose()
    if before.up_to_date:
        click.echo(t(CLI_LANGUAGE, "cli.upgrade.already", head=before.head))
    elif before.current is None:
        click.echo(t(CLI_LANGUAGE, "cli.upgrade.created", head=before.head))
    else:
        click.echo(t(CLI_LANGUAGE, "cli.upgrade.done", current=before.current, head=before.head))


# --- backups (issue 13) ---


@main.command("health")
@friendly
def health_command() -> None:
    """Print the health checks; exit 1 when one fails. With RELAIS_HTTP_PORT, the running
    bot's own /healthz (poller and scheduler included); else what the database says."""
    from bot.health_cli import run_checks

    healthy, lines = run_checks(load_settings())
    for line in lines:
        click.echo(line)
    if not healthy:
        sys.exit(1)


@db.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@friendly
def db_backup(path: Path) -> None:
    """Copy the SQLite database to PATH while the bot runs (SQLite's online backup)."""
    from bot.backup import backup

    size = backup(load_settings().database_url, path)
    click.echo(t(CLI_LANGUAGE, "cli.backup.done", path=path, size=size))


@db.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database (the bot stopped).")
@friendly
def db_restore(path: Path, force: bool) -> None:
    """Put a backup made by `relais db backup` in the database's place (the bot stopped)."""
    from bot.backup import restore

    restore(load_settings().database_url, path, force=force)
    click.echo(t(CLI_LANGUAGE, "cli.restore.done", path=path))


@main.group(name="directory")
def directory_group() -> None:
    """The community-resource directory (resources_directory.yaml)."""


@directory_group.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@friendly
def directory_validate(path: Path | None) -> None:
    """Check the whole file; print every problem; exit 1 when there are errors."""
    from bot.render.resources import report_text
    from flows.directory import load_path

    settings = load_settings()
    path = path or settings.directory_path
    today = utc_now().astimezone(settings.zone).date()
    directory, report = load_path(path, today, settings.directory_stale_months)
    if report.findings:
        click.echo(report_text(CLI_LANGUAGE, report))  # in RELAIS_CLI_LANGUAGE
    if not report.ok:
        click.echo(t(CLI_LANGUAGE, "cli.directory.unusable", path=path), err=True)
        sys.exit(1)
    click.echo(t(CLI_LANGUAGE, "cli.directory.valid", path=path, count=len(directory.resources)))


@directory_group.command("search")
@click.argument("words", nargs=-1)
@click.option("--category", type=click.Choice(list(RESOURCE_CATEGORIES)))
@click.option("--open-now", is_flag=True, help="Only services open now (their time zone).")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language served.")
@click.option("--age", type=click.IntRange(0, 130), help="The person's age.")
@click.option("--near", metavar="LAT,LON", help="Nearest first, e.g. 45.50,-73.57.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--path", type=click.Path(path_type=Path), help="Another directory file.")
@friendly
def directory_search(
    words: tuple[str, ...],
    category: str | None,
    open_now: bool,
    lang: str | None,
    age: int | None,
    near: str | None,
    page: int,
    path: Path | None,
) -> None:
    """Search as /resources does (the words may say "open now", an age...); five a page."""
    from dataclasses import replace

    from flows.directory import load_path, read_query, search

    settings = load_settings()
    path = path or settings.directory_path
    now = utc_now()
    directory, report = load_path(path, now.astimezone(settings.zone).date())
    if not report.ok:
        raise ConfigError(t(CLI_LANGUAGE, "cli.directory.has_errors", path=path))
    point = _point(near) if near else None
    said = read_query(" ".join(words))
    query = replace(
        said,
        category=category,
        open_now=open_now or said.open_now,
        language=lang,
        ages=(age, age) if age is not None else said.ages,
        near=point,
    )
    result = search(directory, query, now, (page - 1) * 5, 5)
    if not result.hits:
        click.echo(t(CLI_LANGUAGE, "cli.directory.none_found"))
        return
    first, last = result.offset + 1, result.offset + len(result.hits)
    click.echo(t(CLI_LANGUAGE, "cli.directory.range", first=first, last=last, total=result.total))
    for hit in result.hits:
        r = hit.resource
        extra = t(CLI_LANGUAGE, "cli.directory.open" if hit.open_now else "cli.directory.closed")
        if hit.distance_km is not None:
            extra += f" · {hit.distance_km:.1f} km"
        click.echo(f"  {r.name.get(lang or 'fr')} [{r.id}]{extra}")
        click.echo(f"      {r.phone or '—'}   {', '.join(r.categories)}")


def _point(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        near = t(CLI_LANGUAGE, "cli.directory.near_format")
        raise click.BadParameter(near, param_hint="--near") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        near = t(CLI_LANGUAGE, "cli.directory.near_range")
        raise click.BadParameter(near, param_hint="--near")
    return lat, lon


@main.command()
@click.option("--port", default=8081, show_default=True, help="0 picks a free port.")
@click.option("--token", default="123456:SANDBOX-relais-demo-token", show_default=True)
def sandbox(port: int, token: str) -> None:
    """Serve the Bot API sandbox on 127.0.0.1 and a web page to act as users by hand."""
    from sandbox import SandboxServer

    server = SandboxServer(token=token, port=port)
    server.start()
    base, control = server.base_url, server.control_url
    click.echo(t(CLI_LANGUAGE, "cli.sandbox.api", base=base, control=control))
    click.echo(t(CLI_LANGUAGE, "cli.sandbox.browser", url=server.ui_url))
    click.echo(t(CLI_LANGUAGE, "cli.sandbox.database"))
    click.echo(t(CLI_LANGUAGE, "cli.sandbox.run"))
    click.echo(f"  relais run --token {token} --base-url {server.base_url}")
    click.echo(t(CLI_LANGUAGE, "cli.sandbox.enrol"))
    try:
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


@main.command("report")
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First local date (YYYY-MM-DD), included.",
)
@click.option(
    "--to",
    "end",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last local date, included.",
)
@click.option(
    "--by",
    type=click.Choice([g.value for g in Grouping]),
    default=None,
    help="Figures per category, urgency, worker, unit or month as well.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    default=None,
    help="The report's language (default RELAIS_CLI_LANGUAGE, else en).",
)
@click.option(
    "--min-cell",
    type=click.IntRange(1, 100),
    default=None,
    help="Counts below this are suppressed (default RELAIS_REPORT_MIN_CELL, 5).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    help="File to write (default: standard output).",
)
@click.option("--quiet", is_flag=True, help="No progress lines on the terminal.")
@friendly
def report(
    start: Any,
    end: Any,
    by: str | None,
    fmt: str,
    lang: str | None,
    min_cell: int | None,
    output: str,
    quiet: bool,
) -> None:
    """The evaluation report of a period, from the event log (times in RELAIS_TIMEZONE)."""
    settings = load_settings()
    if end.date() < start.date():
        click.echo(f"relais: {t(CLI_LANGUAGE, 'cli.report.to_before_from')}", err=True)
        sys.exit(2)
    if output == "-" and fmt == "pdf" and sys.stdout.isatty():
        click.echo(f"relais: {t(CLI_LANGUAGE, 'cli.report.pdf_to_file')}", err=True)
        sys.exit(2)
    try:
        period = Period(start.date(), end.date(), settings.zone)
    except ValueError as exc:
        raise ConfigError(f"--from/--to: {exc}") from None
    if output != "-":  # before minutes of computing, not after
        folder = Path(output).resolve().parent
        if not folder.is_dir():
            raise ConfigError(t(CLI_LANGUAGE, "cli.report.no_folder", folder=folder))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(t(CLI_LANGUAGE, "cli.report.folder_not_writable", folder=folder))
    db = open_database(settings)
    began = time.perf_counter()

    def progress(step: str) -> None:
        if not quiet:
            click.echo(f"report: {step} ({time.perf_counter() - began:.2f} s)", err=True)

    data = produce(
        db, period, fmt, by=Grouping(by) if by else None, lang=lang or cli_language(),
        min_cell=min_cell or settings.report_min_cell,
        grace_hours=settings.followup_grace_hours, progress=progress,
    )  # fmt: skip
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            Path(output).write_bytes(data)
        except OSError as exc:  # the disk full, a read-only file system
            unwritten = t(CLI_LANGUAGE, "cli.report.not_written", output=output, error=exc.strerror)
            raise ConfigError(unwritten) from None
    size = f"{len(data):,}"
    if output == "-":
        progress(t(CLI_LANGUAGE, "cli.report.done", size=size))
    else:
        progress(t(CLI_LANGUAGE, "cli.report.done_in", size=size, output=output))


# Libraries whose debug logging prints request and update payloads (names, phone numbers,
# locations, message text), SQL parameters, or URLs that hold the token (httpx at INFO): they
# never log below these levels, whatever RELAIS_LOG_LEVEL says. Our own loggers log ids only.
LIBRARY_LOG_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp": logging.WARNING,
    "apscheduler": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "alembic": logging.WARNING,
    "asyncio": logging.WARNING,
    "psycopg": logging.WARNING,
}


def _configure_logging(level: str, log_format: str = "text") -> None:
    """Our loggers at the configured level; payload-printing libraries held at their floor.
    With RELAIS_LOG_FORMAT=json, one JSON object per line (python-json-logger)."""
    chosen = getattr(logging, level)
    text_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=chosen, format=text_format)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        for handler in logging.getLogger().handlers:
            handler.setFormatter(formatter)
    for name, floor in LIBRARY_LOG_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, chosen))


# --- people seen before (issue 11): audit, access request, erasure -------------------------


def _subject_hash(settings: Settings, db: Database, key: str) -> str:
    """The stored hash of a key given on the command line (it is never printed back).
    Without the service's secret, only a database the sandbox's bot filled (with the trial
    secret) can be searched: whatever the Bot API setting says."""
    from flows import subject_secret
    from flows.subject_keys import hash_of

    if settings.subject_key_secret is None and not subject_secret.hashed_with_trial_secret(db):
        raise ConfigError(t(CLI_LANGUAGE, "cli.settings.no_subject_secret"))
    found = hash_of(key, settings.subject_policy.secret)
    if found is None:
        raise click.BadParameter(t(CLI_LANGUAGE, "cli.subject.bad_key"), param_hint="KEY")
    return found


@main.command()
@click.option("--subject", "key", help='The person\'s key, e.g. "JT 1987".')
@click.option("--user", "user", help="An enrolled person's display name.")
@friendly
def audit(key: str | None, user: str | None) -> None:
    """Who viewed or changed what about a person, or what one user viewed, and when."""
    from flows import subject_records

    if (key is None) == (user is None):
        raise click.UsageError(t(CLI_LANGUAGE, "cli.audit.which"))
    settings = load_settings()
    db = open_database(settings)
    if key is not None:
        lines = subject_records.audit_of_subject(db, _subject_hash(settings, db, key))
        if lines is None:
            click.echo(f"relais: {t(CLI_LANGUAGE, 'cli.subject.unknown')}", err=True)
            sys.exit(1)
    else:
        lines = subject_records.audit_of_user(db, user or "")
        if lines is None:
            nobody = t(CLI_LANGUAGE, "cli.audit.no_user", name=repr(user))
            click.echo(f"relais: {nobody}", err=True)
            sys.exit(1)
    if not lines:
        click.echo(t(CLI_LANGUAGE, "cli.audit.nothing"))
    zone = settings.zone
    for line in lines:
        where = " ".join(x for x in (line.subject, line.consultation) if x) or "—"
        at = line.at.astimezone(zone)
        said = f"{at:%Y-%m-%d %H:%M:%S}  {line.kind:<18}  {line.actor:<24}  {where}"
        click.echo(f"{said}  {_audit_note(line)}".rstrip())


def _audit_note(line: AuditLine) -> str:
    """What a line's kind alone would leave a reader to guess, in words: a consultation
    moved off the person is no longer theirs (nothing says whom it went to)."""
    if line.kind == Seen.KEY_UNLINKED:
        return t(CLI_LANGUAGE, "cli.audit.key_unlinked", ref=line.consultation or "—")
    return ""


@main.group()
def subject() -> None:
    """What is held about one person: export it (access request), or erase it."""


@subject.command("export")
@click.argument("key")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Default: subject-P-NNNN.json"
)
@friendly
def subject_export(key: str, output: str | None) -> None:
    """Write everything held about this person to a JSON file."""
    import json

    from flows import subject_records

    settings = load_settings()
    db = open_database(settings)
    data = subject_records.export_subject(db, _subject_hash(settings, db, key), utc_now())
    if data is None:
        click.echo(f"relais: {t(CLI_LANGUAGE, 'cli.subject.unknown')}", err=True)
        sys.exit(1)
    path = Path(output or f"subject-{data['subject']['reference']}.json")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    count = len(data["consultations"])
    click.echo(t(CLI_LANGUAGE, "cli.subject.wrote", path=path, count=count))


@subject.command("erase")
@click.argument("key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly
def subject_erase(key: str, yes: bool) -> None:
    """Erase a person: the link to their consultations and every free text about them go;
    the events stay, anonymous."""
    from flows import subject_records

    settings = load_settings()
    db = open_database(settings)
    key_hash = _subject_hash(settings, db, key)
    if not yes:
        click.confirm(t(CLI_LANGUAGE, "cli.subject.confirm_erase"), abort=True)
    erased = subject_records.erase_subject(db, key_hash, utc_now())
    if erased is None:
        click.echo(f"relais: {t(CLI_LANGUAGE, 'cli.subject.unknown')}", err=True)
        sys.exit(1)
    click.echo(
        t(
            CLI_LANGUAGE,
            "cli.subject.erased",
            consultations=erased.consultations,
            plans=erased.care_plan_versions,
            followups=erased.follow_ups,
        )
    )
