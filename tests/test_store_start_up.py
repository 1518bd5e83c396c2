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


AT_IN_PASSWORD = "postgresql://postgres:hun@ter2@127.0.0.1/test"  # '@' not written %40


def test_an_at_sign_in_the_password_is_refused_at_once_without_showing_what_follows_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, 'ter2@127.0.0.1' was taken for the host and every retry logged "failed to
    resolve host 'ter2@127.0.0.1'": part of the password, in the logs. The resolver here
    cannot answer for now, the case that was retried for the whole start-up budget."""
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        resolver_answering(socket.EAI_AGAIN, "Temporary failure in name resolution"),
    )

    def start_up() -> None:
        database_at_start_up(load_settings(database_url=AT_IN_PASSWORD, startup_retry_seconds=30))

    started = time.monotonic()
    with pytest.raises(SystemExit) as ended:
        friendly(start_up)()
    assert ended.value.code == 2
    assert time.monotonic() - started < 5
    said = capsys.readouterr()
    lines = said.err.strip().splitlines()
    assert lines == [
        "relais: DATABASE_URL has an '@' in its password, which ends the password there: "
        "write each '@' of the password as %40 (percent-encoded), e.g. "
        "postgresql+psycopg://relais:pass%40word@host/relais."
    ]
    for shown in (said.out, said.err, caplog.text):
        assert "ter2" not in shown and "hun" not in shown


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://relais:p@Zq9@db.internal:5432/relais",
        "postgresql+psycopg://relais:p@Zq9/w@db.internal/relais",  # the rest taken for the path
    ],
)
def test_every_url_whose_password_holds_an_at_sign_is_refused(url: str) -> None:
    from bot.settings import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_settings(database_url=url)
    assert "%40" in str(caught.value) and "Zq9" not in str(caught.value)


def test_a_percent_encoded_at_sign_passes_and_is_the_password() -> None:
    from sqlalchemy.engine import make_url

    url = load_settings(database_url="postgresql://postgres:hun%40ter2@127.0.0.1/test")
    parsed = make_url(url.database_url)
    assert (parsed.password, parsed.host, parsed.database) == ("hun@ter2", "127.0.0.1", "test")


def test_an_at_sign_in_a_user_name_without_a_password_is_no_secret_and_passes() -> None:
    assert load_settings(database_url="postgresql+psycopg://me@corp@db.internal/relais")
