"""`relais health`: the checks of /healthz from a shell (cron, a container's health check).
With RELAIS_HTTP_PORT set it asks the running bot (all checks); without, it reads the
database only (reachable, dispatcher and inbox not stuck). Read-only: it never migrates."""

from __future__ import annotations

import asyncio

import httpx

from bot.ops_server import database_checks
from bot.settings import Settings, mask_password
from flows import health
from flows.store import TRANSIENT_ERRORS, Database, describe_error, utc_now


def run_checks(settings: Settings) -> tuple[bool, list[str]]:
    """Whether healthy, and one line per check."""
    if settings.http_port:
        return _from_bot(settings)
    return asyncio.run(_from_database(settings))


def _from_bot(settings: Settings) -> tuple[bool, list[str]]:
    host = "127.0.0.1" if settings.http_host in ("", "0.0.0.0") else settings.http_host
    url = f"http://{host}:{settings.http_port}/healthz"
    try:
        answer = httpx.get(url, timeout=15, trust_env=False)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        return False, [f"bot: not answering at {url} ({type(exc).__name__})"]
    lines = [
        f"{name}: {'ok' if check['ok'] else 'FAILING'} ({check['detail']})"
        for name, check in body.get("checks", {}).items()
    ]
    return bool(body.get("healthy")), lines


async def _from_database(settings: Settings) -> tuple[bool, list[str]]:
    db = Database(settings.database_url)
    try:
        figures, error = await asyncio.to_thread(health.figures, db, utc_now()), None
    except TRANSIENT_ERRORS as exc:
        figures, error = None, mask_password(describe_error(exc))
    finally:
        db.dispose()
    checks = database_checks(figures, error)
    lines = [f"{c.name}: {'ok' if c.ok else 'FAILING'} ({c.detail})" for c in checks]
    lines.append("poller, scheduler: not checked (set RELAIS_HTTP_PORT to ask the bot)")
    return all(c.ok for c in checks), lines
