"""`relais health`: the checks of /healthz from a shell (cron, a container's health check).
With RELAIS_HTTP_PORT set it asks the running bot (all checks); without, it reads the
database only (reachable, dispatcher and inbox not stuck). Read-only: it never migrates."""

from __future__ import annotations

import asyncio

import httpx

from bot.i18n import CLI_LANGUAGE, t
from bot.ops_server import database_checks
from bot.schema import schema_problem
from bot.settings import Settings, mask_password
from flows import health
from flows.store import (
    TRANSIENT_ERRORS,
    Database,
    describe_error,
    sqlite_file,
    utc_now,
)


def run_checks(settings: Settings) -> tuple[bool, list[str]]:
    """Whether healthy, and one line per check."""
    if settings.http_port:
        return _from_bot(settings)
    return asyncio.run(_from_database(settings))


def _from_bot(settings: Settings) -> tuple[bool, list[str]]:
    url = f"http://{_reachable_host(settings.http_host)}:{settings.http_port}/healthz"
    try:
        answer = httpx.get(url, timeout=15, trust_env=False)
        body = answer.json()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return False, [t(CLI_LANGUAGE, "cli.health.bot_silent", url=url, error=type(exc).__name__)]
    lines = [
        f"{name}: {'ok' if check['ok'] else 'FAILING'} ({check['detail']})"
        for name, check in body.get("checks", {}).items()
    ]
    return bool(body.get("healthy")), lines


def _reachable_host(host: str) -> str:
    """Where to ask the bot listening on RELAIS_HTTP_HOST: a wildcard address is asked on the
    loopback of its family, an IPv6 address goes in brackets in the URL."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


async def _from_database(settings: Settings) -> tuple[bool, list[str]]:
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():  # connecting would create an empty file
        return False, [t(CLI_LANGUAGE, "cli.health.no_file", path=path)]
    db = Database(settings.database_url)
    schema: str | None = None
    try:
        state = await asyncio.to_thread(db.schema_state)
        schema = schema_problem(state)
        figures, error = None, None
        if schema is None:
            figures = await asyncio.to_thread(health.figures, db, utc_now())
    except TRANSIENT_ERRORS as exc:
        figures, error = None, mask_password(describe_error(exc))
    finally:
        db.dispose()
    if schema is not None:
        return False, [f"database: FAILING ({schema})"]
    checks = database_checks(figures, error)
    lines = [f"{c.name}: {'ok' if c.ok else 'FAILING'} ({c.detail})" for c in checks]
    lines.append(t(CLI_LANGUAGE, "cli.health.not_checked"))
    return all(c.ok for c in checks), lines
