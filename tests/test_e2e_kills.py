"""End to end: a scripted scenario (officers and workers opening requests, offers, accepts,
numbered messages both ways, closes) while the bot is killed with SIGKILL at random moments,
at least 20 times, and started again each time. At the end: every numbered line arrived,
none more than twice (a kill between a send and its record sends it once more: the
documented duplicate), every consultation is closed, every step is in the event log once.
The counts are printed (run with -s to see them)."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter

import pytest

from flows import events, views
from flows.vocabulary import ConsultationState, EventKind, Role
from tests.support import e2e
from tests.support.e2e import World
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OFFICERS, WORKERS = (1001, 1002), (2001, 2002)
KILLS = 20
LINES = 3  # each way, per consultation
# A step may span kills and restarts: the bot is up for 0.05-1.5 s after each start, so on a
# loaded machine (slow start-ups) little gets done until the killer is through its 20 kills.
STEP = 180.0


class Killer(threading.Thread):
    """Kills the bot at a random moment after it is polling again, then starts it."""

    def __init__(self, world: World, kills: int, seed: int = 13) -> None:
        super().__init__(name="killer", daemon=True)
        self.world, self.kills, self.done = world, kills, 0
        self.random = random.Random(seed)
        self.error: BaseException | None = None
        self.stop_now = threading.Event()

    def polling_lines(self) -> int:
        return self.world.bot.log_path.read_text(errors="replace").count("polling (")

    def run(self) -> None:
        try:
            while self.done < self.kills and not self.stop_now.is_set():
                ready = self.polling_lines()
                wait_until(lambda r=ready: self.polling_lines() >= r, STEP, "the bot polling")
                if self.stop_now.wait(self.random.uniform(0.05, 1.5)):  # the random moment
                    return
                self.world.bot.kill()
                self.done += 1
                self.world.bot.start()
                wait_until(lambda r=ready: self.polling_lines() > r, STEP, "the bot polling")
        except BaseException as exc:  # reported by the test
            self.error = exc


def lines_in(world: World, chat_id: int, tag: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for text in world.texts(chat_id):
        found.update(re.findall(rf"\b{tag}-\d+\b", text))
    return found


def one_round(world: World, r: int) -> tuple[str, int, int]:
    officer, worker = OFFICERS[r % 2], WORKERS[r % 2]
    ref = world.open_consultation(officer, f"Situation numéro {r} au coin de la rue.")
    card = world.user.wait_for(
        worker,
        lambda m: f"{ref}\n" in m.get("text", "") and bool(m.get("reply_markup")),
        STEP,
        description=f"the card for {ref}",
    )
    data = str(card["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    world.user.press(worker, card["message_id"], data=data)
    world.user.wait_for_text(officer, f"{ref} acceptée par", STEP)
    for i in range(1, LINES + 1):
        world.user.send_text(officer, f"a{r}-{i}")
        world.user.send_text(worker, f"w{r}-{i}")
    wait_until(
        lambda: (
            len(lines_in(world, worker, f"a{r}")) == LINES
            and len(lines_in(world, officer, f"w{r}")) == LINES
        ),
        STEP,
        f"the lines of round {r}",
    )
    world.user.send_text(officer, "/close")
    world.user.wait_for_text(officer, f"{ref} fermée", STEP)
    return ref, officer, worker


@pytest.mark.timeout(900)  # the scenario's own limit (600 s) comes first
def test_twenty_kills_at_random_moments_lose_nothing_and_end_every_consultation(
    world_any_db, monkeypatch
):
    world = world_any_db
    monkeypatch.setattr(e2e, "STEP", STEP)  # the helpers' steps may span a restart too
    world.enrol(OFFICERS[0], Role.OFFICER, "Julie Tremblay")
    world.enrol(OFFICERS[1], Role.OFFICER, "Marc Côté")
    world.enrol(WORKERS[0], Role.WORKER, "Marie Roy")
    world.enrol(WORKERS[1], Role.WORKER, "Sam Wilson")
    for worker in WORKERS:
        world.go_on(worker)
    killer = Killer(world, KILLS)
    killer.start()
    rounds: list[tuple[str, int, int]] = []
    started = time.monotonic()
    try:
        while killer.is_alive() or len(rounds) < 4:
            rounds.append(one_round(world, len(rounds)))
            assert time.monotonic() - started < 600, "the scenario took too long"
    finally:
        killer.stop_now.set()
        killer.join(STEP)
    assert killer.error is None, killer.error
    world.user.wait_until_idle(STEP, quiet=1.0)

    duplicates = 0
    for r, (ref, officer, worker) in enumerate(rounds):
        to_worker, to_officer = lines_in(world, worker, f"a{r}"), lines_in(world, officer, f"w{r}")
        assert sorted(to_worker) == [f"a{r}-{i}" for i in range(1, LINES + 1)]
        assert sorted(to_officer) == [f"w{r}-{i}" for i in range(1, LINES + 1)]
        assert max(to_worker.values()) <= 2 and max(to_officer.values()) <= 2
        duplicates += sum(n - 1 for n in (*to_worker.values(), *to_officer.values()))
        cid = views.parse_reference(ref)
        assert cid is not None
        view = views.get_view(world.db, cid)
        assert view is not None and view.state == ConsultationState.CLOSED, ref
        steps = Counter(e.kind for e in events.timeline(world.db, cid))
        assert steps[EventKind.SUBMITTED] == 1 and steps[EventKind.ACCEPTED] == 1, steps
        assert steps[EventKind.CLOSED] == 1, steps
        assert steps[EventKind.MESSAGE_RELAYED] == 2 * LINES, steps  # each update applied once
    print(
        f"\nkills={killer.done} rounds={len(rounds)} lines={len(rounds) * 2 * LINES} "
        f"lost=0 duplicates={duplicates}"
    )
    assert killer.done >= KILLS
