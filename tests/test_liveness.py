"""Connections the PostgreSQL server ended are replaced on checkout, told without a round
trip (flows/liveness.py): the next transaction runs on a new connection, not on the dead
one, and a live connection is not mistaken for a dead one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flows.liveness import ended_by_server
from flows.store import Database
from flows.vocabulary import Role
from tests.support.clock import FakeClock
from tests.support.databases import database
from tests.support.people import enrol
from tests.support.waiting import wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    with database("postgres", tmp_path) as migrated:
        yield migrated


def backend_pid(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("select pg_backend_pid()")).scalar_one())


def terminate(db: Database, pid: int) -> None:
    other = create_engine(db.url, isolation_level="AUTOCOMMIT")
    with other.connect() as connection:
        connection.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_live_idle_connection_is_alive(pg: Database) -> None:
    raw = pg.engine.raw_connection()
    try:
        assert not ended_by_server(raw.driver_connection)
    finally:
        raw.close()


def test_a_connection_the_server_ended_is_replaced_before_use(
    pg: Database, clock: FakeClock
) -> None:
    raw = pg.engine.raw_connection()
    pooled = raw.driver_connection
    first = pooled.info.backend_pid
    raw.close()  # back in the pool, idle
    terminate(pg, first)
    wait_until(lambda: ended_by_server(pooled), timeout=5, what="the server's farewell")
    # the next transactions (the ORM's and the fast lane's) run on a new connection
    person = enrol(pg, clock, Role.OFFICER, "Julie Tremblay")
    assert person.id > 0
    assert backend_pid(pg) != first
    with pg.driver_transaction(clock()) as unit:
        assert unit.pipelined
