"""Whether a pooled PostgreSQL connection is still alive, told without a round trip.

SQLAlchemy's pre-ping asks the server (a round trip on every checkout: on this project's
hot path, a relayed line, one of its three, bench/relay.py). A connection the server ended
(a restart, a failover, pg_terminate_backend, an idle timeout) is told apart locally: the
server writes its farewell and closes, so the idle connection's socket has something to
read, where a live idle one has nothing. The check runs on checkout; a dead connection is
replaced by the pool before anyone uses it (SQLAlchemy's documented DisconnectionError
protocol). A peer gone silently (a cable cut) is caught by neither check in time: the
transaction fails, rolls back and is retried like any transient error."""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc


def ended_by_server(dbapi_connection: Any) -> bool:
    """True when this idle psycopg connection is closed or its socket has unread data."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(readable)


def replace_ended_connections(engine: Engine) -> None:
    """On checkout, a connection the server ended is thrown away and another one taken."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if ended_by_server(dbapi_connection):
            raise sa_exc.DisconnectionError("connection ended by the server")
