"""The periodic directory file check: a file that can no longer be read is logged once
(path only) while the last good directory stays in use, and once again when it is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.directory import check_file
from flows.directory import DirectoryHolder

TEXT = (
    "schema_version: 1\nservices:\n  - id: a\n    organization: Org\n"
    "    name: {fr: Nom, en: Name}\n    description: {fr: D, en: D}\n"
    "    categories: [shelter]\n    hours: '24/7'\n    languages: [fr]\n"
)


async def _run(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def services(holder: DirectoryHolder) -> SimpleNamespace:
    """What check_file reads of the bot's services."""
    return SimpleNamespace(
        directory=holder,
        run=_run,
        clock=lambda: datetime(2026, 11, 23, 15, tzinfo=UTC),
        settings=SimpleNamespace(zone=ZoneInfo("America/Montreal")),
    )


def test_a_removed_file_is_logged_once_and_its_return_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dir.yaml"
    path.write_text(TEXT)
    holder = DirectoryHolder(path)
    holder.load(datetime(2026, 11, 23).date())
    check = services(holder)
    caplog.set_level(logging.INFO, logger="bot.jobs.directory")
    moved = tmp_path / "elsewhere.yaml"
    path.rename(moved)
    for _ in range(3):
        asyncio.run(check_file(check))  # type: ignore[arg-type]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"directory file {path} cannot be read; the last good directory (1 entries) is kept"
    ]
    assert [r.id for r in holder.current.resources] == ["a"]
    caplog.clear()
    moved.rename(path)
    for _ in range(2):
        asyncio.run(check_file(check))  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [f"directory file {path} can be read again"]
