"""The directory at the edge: its callback data, the CLI, its settings, and opening the
file at start-up (a broken or missing explicit file is one clear message)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import callbacks
from bot.callbacks import Action
from bot.cli import main
from bot.directory import Memory, open_directory
from bot.settings import ConfigError, load_settings
from flows.directory import CATEGORIES, Query
from flows.store import utc_now

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources_directory.yaml"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "RELAIS_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_directory_buttons_round_trip_within_64_bytes() -> None:
    made = [
        callbacks.resource(9_999, 999_999),
        callbacks.more(999_999_999, 9_995),
        callbacks.browse(CATEGORIES[-1]),
        callbacks.refer(9_999, 999_999),
        callbacks.refer_to(123_456, 999_999_999),
        callbacks.open_now(999_999_999, True),
        callbacks.open_now(999_999_999, False),
    ]
    decoded = [callbacks.decode(data) for data in made]
    assert [d.action for d in decoded if d] == [
        Action.RESOURCE,
        Action.MORE,
        Action.BROWSE,
        Action.REFER,
        Action.REFER_TO,
        Action.OPEN_NOW,
        Action.OPEN_NOW,
    ]
    assert [d.chosen() for d in decoded[-2:] if d] == [True, False]
    assert all(len(data.encode()) <= 64 for data in made)


@pytest.mark.parametrize(
    "forged", ["b:99", "e:3", "m:1", "p:1", "q:4", "b:1:2", "e:x:1", "h:7", "h:7:2", "h:x:1"]
)
def test_forged_directory_buttons_are_refused(forged: str) -> None:
    assert callbacks.decode(forged) is None


def test_validate_accepts_the_sample_and_lists_warnings() -> None:
    result = CliRunner().invoke(main, ["directory", "validate", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "valid, 51 services" in result.output
    assert "[stale]" in result.output


def test_validate_prints_every_error_and_exits_non_zero(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = SAMPLE.read_text()
    text = text.replace("phone: 1-866-277-3553", "phone: 1-866-277", 1)
    text = text.replace("categories: [food]", "categories: [fod]", 1)
    broken.write_text(text)
    result = CliRunner().invoke(main, ["directory", "validate", str(broken)])
    assert result.exit_code == 1
    assert "entry suicide-action-montreal, field phone" in result.output
    assert "'fod' is not a category" in result.output
    assert "2 error(s)" in result.output


def test_search_from_the_shell_finds_shelters_nearest_first() -> None:
    result = CliRunner().invoke(
        main,
        ["directory", "search", "sans-abri", "--near", "45.547,-73.541", "--path", str(SAMPLE)],
    )
    assert result.exit_code == 0, result.output
    assert " km" in result.output
    bad = CliRunner().invoke(main, ["directory", "search", "x", "--near", "north"])
    assert bad.exit_code == 2


def test_a_bad_stale_period_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAIS_DIRECTORY_STALE_MONTHS", "0")
    with pytest.raises(ConfigError, match="RELAIS_DIRECTORY_STALE_MONTHS"):
        load_settings()


def test_an_explicit_missing_file_stops_start_up_and_the_default_one_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    holder = open_directory(load_settings(), utc_now)  # default path, absent here
    assert holder.current.resources == ()
    monkeypatch.setenv("RELAIS_DIRECTORY_PATH", str(tmp_path / "nowhere.yaml"))
    with pytest.raises(ConfigError, match="RELAIS_DIRECTORY_PATH"):
        open_directory(load_settings(), utc_now)
    monkeypatch.setenv("RELAIS_DIRECTORY_PATH", str(SAMPLE))
    assert len(open_directory(load_settings(), utc_now).current.resources) == 51


def test_saved_searches_belong_to_who_made_them() -> None:
    memory = Memory()
    key = memory.save(7, Query("refuge"))
    assert memory.search(key, 7) is not None
    assert memory.search(key, 8) is None
    token = memory.hold_referral(7, "svc-1")
    assert memory.referral(token, 8) is None and memory.referral(token, 7) == "svc-1"
