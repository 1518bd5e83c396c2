"""Configuration: sensible defaults, and a bad value stops start-up with one sentence naming
the variable, with no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from annotated_types import Ge, Gt, Le, Lt

from bot.settings import ConfigError, Settings, load_settings

NUMBERS = [name for name, info in Settings.model_fields.items() if info.annotation is int]


def _variable(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else str(alias.choices[0])  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "RELAIS_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_sensible():
    settings = load_settings()
    assert settings.timezone == "America/Montreal"
    assert settings.database_url.startswith("sqlite:///")
    assert "811" in settings.fallback_line
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.invite_ttl_hours == 72


def test_values_come_from_the_environment_and_a_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("RELAIS_TIMEZONE=America/Toronto\n")
    monkeypatch.setenv("RELAIS_FALLBACK_LINE", "Ligne 24/7 : 1-866-277-3553")
    settings = load_settings()
    assert (settings.timezone, settings.fallback_line) == (
        "America/Toronto",
        "Ligne 24/7 : 1-866-277-3553",
    )


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("RELAIS_TIMEZONE", "Mars/Olympus_Mons", "RELAIS_TIMEZONE"),
        ("RELAIS_INVITE_TTL_HOURS", "soon", "RELAIS_INVITE_TTL_HOURS"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_variable(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(named)
    assert "\n" not in message


def test_every_number_has_a_lower_and_an_upper_bound():
    assert len(NUMBERS) >= 15
    for name in NUMBERS:
        bounds = Settings.model_fields[name].metadata
        assert any(isinstance(b, Ge | Gt) for b in bounds), f"{name} has no lower bound"
        assert any(isinstance(b, Le | Lt) for b in bounds), f"{name} has no upper bound"


@pytest.mark.parametrize("field", NUMBERS)
def test_an_absurdly_large_number_is_refused_with_one_sentence(monkeypatch, field):
    variable = _variable(field)
    monkeypatch.setenv(variable, str(10**12))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable} input should be less than or equal to")
    assert "\n" not in message


def test_a_password_in_a_database_url_is_never_echoed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://relais:hunter2-s3cret@db.example/relais")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("DATABASE_URL must be")
    assert "hunter2" not in str(caught.value)
    assert "mysql://relais:***@db.example/relais" in str(caught.value)


def test_the_token_never_appears_in_an_error(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "secret-looking-but-wrong")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "secret-looking" not in str(caught.value)


def test_run_without_a_token_exits_2_with_one_sentence_and_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_exits_2_with_one_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "users", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("relais: DATABASE_URL could not be opened")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://relais:hunter2@db.internal/relais",
        "postgresql+asyncpg://relais@db.internal/relais",
        "sqlite+aiosqlite:///relais.db",
    ],
)
def test_a_database_driver_relais_does_not_carry_is_one_sentence_naming_the_right_one(
    monkeypatch, url
):
    """Before, the URL passed and `relais run` died on ModuleNotFoundError (exit 1)."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    said = str(caught.value)
    assert said.startswith("DATABASE_URL must ")
    assert "postgresql+psycopg://" in said or "sqlite:///" in said
    assert "hunter2" not in said


def test_a_command_with_the_psycopg2_driver_exits_2_with_one_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "users", "list"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "relais: DATABASE_URL must name the psycopg driver, with which Relais reaches "
        "PostgreSQL: postgresql+psycopg://… (got 'postgresql+psycopg2://postgres@127.0.0.1:5432"
        "/test')."
    ]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432",
        "postgresql://postgres@127.0.0.1:5432/",
        "postgresql+psycopg://relais:hunter2@db.internal",
    ],
)
def test_a_postgresql_url_naming_no_database_is_refused_before_connecting(monkeypatch, url):
    """Before, it was accepted and Relais migrated the server's default database (postgres)."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    said = str(caught.value)
    assert said.startswith("DATABASE_URL names no database: add /DBNAME at the end")
    assert "hunter2" not in said and "\n" not in said


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///"])
def test_a_sqlite_url_with_an_empty_path_is_refused(monkeypatch, url):
    """An empty path is an in-memory or temporary database: everything gone at exit."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("DATABASE_URL names no SQLite file: give its path")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://relais@db.internal/relais",
        "postgresql+psycopg:///relais",  # the local socket
        "postgresql+psycopg://relais@db.internal/?dbname=relais",  # named in the query
        "sqlite:///relais.db",
        "sqlite:////srv/relais/relais.db",
    ],
)
def test_a_url_naming_its_database_passes(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url.endswith(url.split("://", 1)[1])


def test_db_upgrade_on_a_url_naming_no_database_exits_2_and_touches_nothing(tmp_path):
    """The server is never asked: a refused port shows no connection was tried."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env["DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "names no database" in lines[0], done.stderr
    assert "could not be opened" not in done.stderr
