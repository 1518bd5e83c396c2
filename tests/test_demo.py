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
