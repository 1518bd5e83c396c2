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
