"""`relais run`'s database at start-up: what is waited for and what stops it at once.

The resolver is stubbed (socket.getaddrinfo, which psycopg calls itself before libpq
connects), so no name is ever looked up off this machine."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from bot.cli import database_at_start_up, friendly
from bot.settings import load_settings
from flows.store import unreachable_for_now

UNKNOWN_HOST = "no-such-host.invalid"
URL = f"postgresql+psycopg://u@{UNKNOWN_HOST}/db"


def resolver_answering(code: int, text: str) -> Any:
    """A getaddrinfo that fails every name but the loopback's with this resolver error."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("127.0.0.1", "localhost", "::1"):
            return real(host, *args, **kwargs)
        raise socket.gaierror(code, text)

    return getaddrinfo


def start(monkeypatch: pytest.MonkeyPatch, code: int, text: str, retry_seconds: int) -> int:
    """`relais run`'s database start-up (one-sentence errors included) with this resolver
    answer; its exit code."""
    monkeypatch.setattr(socket, "getaddrinfo", resolver_answering(code, text))
    settings = load_settings(database_url=URL, startup_retry_seconds=retry_seconds)
    with pytest.raises(SystemExit) as ended:
        friendly(database_at_start_up)(settings)
    return int(ended.value.code or 0)


def test_a_host_name_that_does_not_resolve_exits_2_at_once_naming_the_host(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, a typo in the host name was retried for the whole start-up budget (300 s by
    default) as if the server were restarting, then exit 1: systemd restarted it forever."""
    started = time.monotonic()
    assert start(monkeypatch, socket.EAI_NONAME, "Name or service not known", 30) == 2
    assert time.monotonic() - started < 5
    assert "retrying" not in caplog.text
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("relais: DATABASE_URL could not be opened")
    assert f"'{UNKNOWN_HOST}'" in lines[0] and "Name or service not known" in lines[0]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (socket.EAI_AGAIN, "Temporary failure in name resolution"),  # no resolver answer yet
        (socket.EAI_FAIL, "Non-recoverable failure in name resolution"),  # a SERVFAIL
    ],
)
def test_a_resolver_that_cannot_answer_for_now_is_still_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, code: int, text: str
) -> None:
    """The network not up yet at boot: the name may resolve in a moment, so it is waited
    for, then exit 1 (a fault a service manager restarts)."""
    assert start(monkeypatch, code, text, retry_seconds=1) == 1
    assert "the database could not be reached" in caplog.text and "retrying" in caplog.text


@pytest.mark.parametrize(
    "message",
    [
        # psycopg 3 (the project's driver) resolves the name itself
        f"failed to resolve host '{UNKNOWN_HOST}': [Errno -2] Name or service not known",
        f"failed to resolve host '{UNKNOWN_HOST}': [Errno -5] No address associated with hostname",
        f"failed to resolve host '{UNKNOWN_HOST}': [Errno 8] nodename nor servname provided, "
        "or not known",  # macOS
        f"failed to resolve host '{UNKNOWN_HOST}': [Errno -2] Name does not resolve",  # musl
        # libpq, when it resolves (another driver, or a hostaddr-less multi-host string)
        f'could not translate host name "{UNKNOWN_HOST}" to address: Name or service not known',
    ],
)
def test_an_unknown_host_name_is_lasting(message: str) -> None:
    from sqlalchemy import exc as sa_exc

    assert not unreachable_for_now(sa_exc.OperationalError("connect", {}, Exception(message)))


@pytest.mark.parametrize(
    "message",
    [
        "failed to resolve host 'db': [Errno -3] Temporary failure in name resolution",
        f'could not translate host name "{UNKNOWN_HOST}" to address: Temporary failure in '
        "name resolution",
        'connection to server at "127.0.0.1", port 1 failed: Connection refused',
        "connection timeout expired",
    ],
)
def test_a_fault_that_may_pass_is_still_transient(message: str) -> None:
    from sqlalchemy import exc as sa_exc

    assert unreachable_for_now(sa_exc.OperationalError("connect", {}, Exception(message)))
