"""The README's first command: `relais demo` plays a whole consultation offline and prints
it. If it breaks, a new user's first minute with Relais breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_the_demo_plays_a_whole_consultation_and_prints_it(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for expected in (
        "Demande C-0001 envoyée",
        "ressources ouvertes maintenant",  # the sample directory's top three
        "C-0001 acceptée par Marie Roy",
        "Taken by Marie Roy",
        "J'appelle l'urgence",
        "a été fermée par Marie Roy",
        "Note enregistrée",
        "outcome: Voluntary transport to hospital",  # the timeline in words, as the CLI shows it
        "worker: Marie Roy (#2)",
    ):
        assert expected in out, expected
    timeline = out.split("=== What the log says")[1]
    for raw in ("worker_id=", "voluntary_hospital", "suicide_risk", "chat_id", "message_id"):
        assert raw not in timeline, raw


def test_the_demo_keeps_its_database_only_in_a_new_file(tmp_path: Path):
    """Before: an existing file got the demo's people (a real database too) and the second
    run failed; a missing folder was a traceback."""
    from click.testing import CliRunner

    from bot.cli import main

    existing = tmp_path / "relais.db"
    existing.write_bytes(b"a service's data")
    done = CliRunner().invoke(main, ["demo", "--keep-database", str(existing)])
    assert done.exit_code == 2
    assert done.output.strip() == (
        f"relais: --keep-database: {existing} exists already; give a new file name"
    )
    assert existing.read_bytes() == b"a service's data"
    nowhere = tmp_path / "no-folder" / "demo.db"
    done = CliRunner().invoke(main, ["demo", "--keep-database", str(nowhere)])
    assert done.exit_code == 2
    assert done.output.strip() == (
        f"relais: --keep-database: the folder {nowhere.parent} does not exist"
    )
