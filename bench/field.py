"""The officer's first taps, timed on the sandbox: from the urgency tap to the worker's
offer card, over N immediate requests (the shipped screening questions on, so the request
goes out before them). Prints p50 / p90 / max. Target: the card within 1 s of the tap.

    .venv/bin/python bench/field.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.vocabulary import Role  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.e2e import PRODUCT_PACING, running_world  # noqa: E402

OFFICER, WORKER = 1001, 2001


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    took: list[float] = []
    env = {
        **PRODUCT_PACING,  # the shipped per-chat pacing, not the tests' faster one
        "RELAIS_SCREENING_PATH": str(ROOT / "screening.yaml"),
        "RELAIS_WORKER_CAPACITY": "50",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        database("sqlite", Path(tmp)) as db,
        running_world(db, Path(tmp), env) as world,
    ):
        world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
        world.enrol(WORKER, Role.WORKER, "Marie Roy")
        world.go_on(WORKER)
        for i in range(args.rounds):
            world.user.send_text(OFFICER, f"Situation {i}")
            prompt = world.user.wait_for_text(OFFICER, "Quelle catégorie", world.step)
            world.user.press(OFFICER, prompt["message_id"], text="Risque suicidaire")
            world.user.wait_for(
                OFFICER,
                lambda m, p=prompt: (
                    m["message_id"] == p["message_id"] and "Quelle urgence" in m.get("text", "")
                ),
                world.step,
            )
            before = world.last_id(WORKER)
            start = time.monotonic()
            world.user.press(OFFICER, prompt["message_id"], text="Immédiate (danger maintenant)")
            world.user.wait_for(
                WORKER,
                lambda m, b=before: m["message_id"] > b and bool(m.get("reply_markup")),
                world.step,
            )
            took.append(time.monotonic() - start)
            world.user.send_text(OFFICER, "/close")
            world.user.wait_for_text(OFFICER, "fermée", world.step)
    took_ms = sorted(t * 1000 for t in took)
    p90 = statistics.quantiles(took_ms, n=10)[8] if len(took_ms) > 1 else took_ms[0]
    print(
        f"urgency tap -> worker's card, {len(took_ms)} immediate requests (SQLite, sandbox): "
        f"p50 {statistics.median(took_ms):.0f} ms, p90 {p90:.0f} ms, max {took_ms[-1]:.0f} ms"
        " (target: under 1000 ms)"
    )


if __name__ == "__main__":
    main()
