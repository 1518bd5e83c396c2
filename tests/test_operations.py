"""Running it for a service: the token read from a file (never a command-line flag), and
logs as one JSON object per line when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.settings import ConfigError, load_settings

TOKEN = "123456:AAbbCCddEEffGGhh-secret"


def test_the_token_is_read_from_a_file(tmp_path):
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    settings = load_settings(telegram_bot_token_file=secret)
    assert settings.require_token() == TOKEN


def test_a_file_without_a_token_is_one_sentence_that_never_shows_its_content(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("not-a-token-s3cr3t\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(telegram_bot_token_file=secret).require_token()
    assert "does not hold a bot token" in str(refused.value)
    assert "s3cr3t" not in str(refused.value)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(telegram_bot_token_file=tmp_path / "missing").require_token()


def test_a_token_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    secret = tmp_path / "token"
    secret.write_bytes(b"\xef\xbb\xbf" + TOKEN.encode() + b"\r\n")  # Notepad's UTF-8
    assert load_settings(telegram_bot_token_file=secret).require_token() == TOKEN


def test_a_secret_file_that_is_not_utf8_is_one_sentence_naming_it(tmp_path, monkeypatch):
    """Before, a UnicodeDecodeError traceback."""
    secret = tmp_path / "token"
    secret.write_bytes("123456:é".encode("utf-16"))
    with pytest.raises(ConfigError) as refused:
        load_settings(telegram_bot_token_file=secret).require_token()
    assert str(refused.value) == (
        f"TELEGRAM_BOT_TOKEN_FILE: {secret} is not UTF-8 text; save it as UTF-8"
    )
    monkeypatch.setenv("RELAIS_WEBHOOK_SECRET_FILE", str(secret))
    with pytest.raises(ConfigError, match=r"RELAIS_WEBHOOK_SECRET_FILE: .* is not UTF-8 text"):
        load_settings().configured_webhook_secret()


def test_an_empty_token_file_variable_counts_as_unset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_FILE", "")
    monkeypatch.setenv("RELAIS_WEBHOOK_SECRET_FILE", " ")
    settings = load_settings()
    assert settings.telegram_bot_token_file is None
    assert settings.configured_webhook_secret() is None
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        settings.require_token()


def test_a_dotenv_file_that_is_not_utf8_is_one_sentence_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes("RELAIS_FALLBACK_LINE=Détresse 811\n".encode("latin-1"))
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == f"{tmp_path / '.env'} is not UTF-8 text; save it as UTF-8"


def test_a_screening_file_that_is_not_utf8_stops_start_up_with_one_sentence(tmp_path, monkeypatch):
    from bot.screening import open_screening

    path = tmp_path / "screening.yaml"
    path.write_bytes("questions:\n  arme:\n    fr: Arme prés\xe9nte ?\n".encode("latin-1"))
    monkeypatch.setenv("RELAIS_SCREENING_PATH", str(path))
    with pytest.raises(ConfigError) as refused:
        open_screening(load_settings())
    assert str(refused.value) == (
        f"RELAIS_SCREENING_PATH cannot be used: {path}: is not UTF-8 text; save it as UTF-8"
    )


def test_json_logs_are_one_object_per_line_with_ids_only():
    code = (
        "import logging; from bot.cli import _configure_logging; "
        "_configure_logging('INFO', 'json'); "
        "logging.getLogger('bot.test').warning('person=%s unreachable', 42)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )  # fmt: skip
    [line] = done.stderr.strip().splitlines()
    record = json.loads(line)
    assert record["message"] == "person=42 unreachable"
    assert record["level"] == "WARNING" and record["logger"] == "bot.test"
    assert "time" in record


def test_a_log_format_other_than_text_or_json_is_refused():
    with pytest.raises(ConfigError, match="RELAIS_LOG_FORMAT"):
        load_settings(log_format="xml")


def test_every_exported_metric_is_in_the_operators_guide_and_none_is_said_unbuilt():
    """docs/operations.md said the loop lag was not exported while /metrics exported it."""
    from pathlib import Path

    from bot import metrics

    guide = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    names = {m.name for m in metrics.REGISTRY.collect()}
    assert "relais_event_loop_lag_seconds" in names
    for name in names:
        assert f"`{name}" in guide, name
    assert "lag is not measured or exported" not in guide
