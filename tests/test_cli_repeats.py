"""The `relais` command given something already done or out of bounds: a revocation repeated,
a shift added twice or over another, an invite valid for ages. One sentence each, never a
traceback, and nothing done twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from flows import enrolment
from flows.store import Database, utc_now


@pytest.fixture
def relais(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "RELAIS_TIMEZONE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def worker(relais) -> tuple[int, Database]:
    code = relais("invite", "--role", "worker", "--name", "Marie Roy", "--quiet").output.strip()
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    result = enrolment.redeem_invite(db, code, 7_000_002, "fr", utc_now)
    assert result.person is not None
    return result.person.id, db


@pytest.mark.parametrize("hours", ["99999999999", "100000000", "721"])
def test_an_invite_valid_beyond_a_month_is_refused_in_one_sentence(relais, hours):
    refused = relais("invite", "--role", "officer", "--name", "X", "--ttl-hours", hours)
    assert refused.exit_code == 2
    assert "Traceback" not in refused.output and "OverflowError" not in refused.output
    assert "--ttl-hours" in refused.output and "1<=x<=720" in refused.output
    assert relais("invite", "--role", "officer", "--name", "X", "--ttl-hours", "720").exit_code == 0
    assert "720" in relais("invite", "--help").output


def test_revoking_someone_already_revoked_says_so_and_exits_1(relais):
    person_id, _db = worker(relais)
    first = relais("users", "revoke", str(person_id))
    assert first.exit_code == 0 and first.output.startswith("Revoked Marie Roy")
    again = relais("users", "revoke", str(person_id))
    assert again.exit_code == 1
    assert "Revoked" not in again.output
    assert "already revoked" in again.output and "nothing changed" in again.output
