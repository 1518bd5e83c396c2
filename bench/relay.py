"""A relayed officer line, measured against a bare bot on the same sandbox. The officer sends
N numbered lines at a steady rate; the benchmark reads, from the sandbox's transcript, when
each line reached the worker. First a bare python-telegram-bot bot that only passes the text
on (bench/echo_bot.py), then Relais with a consultation accepted. Prints p50 / p99 latency,
Relais over the baseline, the bot process's CPU per line and, on PostgreSQL, the write
transactions per relayed line and per Accept press.

    .venv/bin/python bench/relay.py [--lines 200] [--rate 20] [--postgres] [--from worker]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from flows.vocabulary import Role  # noqa: E402
from sandbox import SandboxClient, SandboxServer  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.e2e import TOKEN, World, card_button  # noqa: E402

OFFICER, WORKER = 1001, 2001


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_transactions(url: str) -> int | None:
    """A counter of write transactions on the PostgreSQL server (None on SQLite): each one
    that changed something took a transaction id, and this read takes one too. Read at once,
    unlike pg_stat_database, whose figures a backend reports up to 10 s late."""
    if not url.startswith("postgresql"):
        return None
    engine = create_engine(url)
    with engine.begin() as connection:
        value = connection.execute(text("select pg_current_xact_id()::text::bigint")).scalar_one()
    engine.dispose()
    return int(value)


def send_lines(
    user: SandboxClient, lines: int, rate: float, tag: str, source: int = OFFICER
) -> None:
    """Lines at a steady rate (the schedule, not the answers, sets the pace)."""
    start = time.monotonic()
    for i in range(lines):
        wait = start + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        user.send_text(source, f"{tag} {i:05d}")


def latencies(
    user: SandboxClient,
    lines: int,
    tag: str,
    timeout: float = 120.0,
    route: tuple[int, int] = (OFFICER, WORKER),
) -> list[float]:
    """Seconds from each line to its arrival in the other side's chat."""
    source, target = route
    deadline = time.monotonic() + timeout
    while True:
        entries = user.transcript()
        sent: dict[str, float] = {}
        got: dict[str, float] = {}
        for e in entries:
            words = str(e.get("text") or "")
            if tag not in words:
                continue
            key = words[words.index(tag) + len(tag) :].split()[0][:5]
            if e.get("chat_id") == source and e.get("event", "").startswith("user"):
                sent[key] = e["time"]
            elif e.get("chat_id") == target and key not in got:
                got[key] = e["time"]
        if len(got) >= lines or time.monotonic() > deadline:
            return sorted(got[k] - sent[k] for k in got if k in sent)
        time.sleep(0.2)


def measure(
    label: str,
    start_bot: Callable[[], int],
    user: SandboxClient,
    lines: int,
    rate: float,
    url: str | None = None,
    route: tuple[int, int] = (OFFICER, WORKER),
) -> tuple[list[float], float, float | None]:
    pid = start_bot()
    tag = f"line-{label}"
    send_lines(user, 5, 5, f"warm-{label}", route[0])  # warm up
    latencies(user, 5, f"warm-{label}", route=route)
    cpu0, tx0 = cpu_seconds(pid), write_transactions(url) if url else None
    send_lines(user, lines, rate, tag, route[0])
    lat = latencies(user, lines, tag, route=route)
    user.wait_until_idle(30, quiet=0.5)
    cpu = (cpu_seconds(pid) - cpu0) / lines
    tx = None
    if url and tx0 is not None:
        tx = ((write_transactions(url) or 0) - tx0 - 1) / lines
    return lat, cpu, tx


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--from", dest="source", choices=["officer", "worker"], default="officer",
        help="who writes the lines (the worker: the holder's answers to the officer)",
    )  # fmt: skip
    args = parser.parse_args()
    kind = "postgres" if args.postgres else "sqlite"
    route = (OFFICER, WORKER) if args.source == "officer" else (WORKER, OFFICER)
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        results = {}
        with SandboxServer(token=TOKEN) as sandbox:
            user = sandbox.client()
            user.add_user(OFFICER, "Tremblay")
            user.add_user(WORKER, "Roy")
            for chat in route:
                user.send_text(chat, "/start")  # a bot can write only to who started it
            echo = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "echo_bot.py"), TOKEN, sandbox.base_url,
                 str(route[1])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                results["echo"] = measure(
                    "e", lambda: echo.pid, user, args.lines, args.rate, route=route
                )
            finally:
                echo.terminate()
                echo.wait(10)
        with SandboxServer(token=TOKEN) as sandbox:
            # One worker's chat at 20 lines/s is over Telegram's 1/s per chat: the sandbox's
            # limits are off here and the bare bot has no limiter, so neither has Relais's
            # per-chat bucket (bench/load.py measures with the limits on).
            world = World(sandbox, db, Path(tmp), {"RELAIS_CHAT_MESSAGES_PER_SECOND": "0"})
            world.bot.start()
            try:
                results["relais"] = measure(
                    "r", lambda: _relais_ready(world), world.user, args.lines, args.rate, db.url,
                    route,
                )  # fmt: skip
                per_accept = accept_transactions(world, db.url, 10)
            finally:
                world.close()
    print(
        f"relayed lines: {args.lines} at {args.rate:g}/s from the {args.source}, database: {kind}"
    )
    if per_accept is not None:
        print(f"accept: {per_accept:.1f} write transactions per press (whole handling)")
    base = results["echo"][0]
    for name, (lat, cpu, tx) in results.items():
        p50, p99 = statistics.median(lat) * 1000, pct(lat, 99) * 1000
        ratio = ""
        if name != "echo":
            over50 = statistics.median(lat) / statistics.median(base)
            ratio = f"  ({over50:.2f}× / {pct(lat, 99) / pct(base, 99):.2f}× the bare bot)"
        txs = f", {tx:.1f} write transactions/line" if tx is not None else ""
        print(
            f"{name:>6}: p50 {p50:.1f} ms, p99 {p99:.1f} ms{ratio}; CPU {cpu * 1000:.1f} ms/line"
            f"{txs}; received {len(lat)}/{args.lines}"
        )


def accept_transactions(world: World, url: str, rounds: int) -> float | None:
    """PostgreSQL write transactions of one Accept press, from the press until the officer
    is told and the bot is idle (averaged over rounds)."""
    if not url.startswith("postgresql"):
        return None
    total = 0
    for i in range(rounds):
        world.user.send_text(OFFICER, "/close")
        world.user.wait_until_idle(10, quiet=0.3)
        ref = world.open_consultation(OFFICER, f"accept round {i}")
        card = world.card(WORKER, ref)
        world.user.wait_until_idle(10, quiet=0.3)
        before = write_transactions(url) or 0
        world.user.press(WORKER, card["message_id"], data=card_button(card))
        world.user.wait_for_text(OFFICER, f"{ref} acceptée", world.step)
        world.user.wait_until_idle(10, quiet=0.3)
        total += (write_transactions(url) or 0) - before - 1
    return total / rounds


def _relais_ready(world: World) -> int:
    """Enrol an officer and a worker, open a consultation and accept it; the bot's pid."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(WORKER, Role.WORKER, "Marie Roy")
    world.go_on(WORKER)
    ref = world.open_consultation(OFFICER, "bench")
    world.accept(WORKER, ref)
    world.user.wait_for_text(OFFICER, "acceptée", world.step)
    world.user.wait_until_idle(10, quiet=0.5)
    process = world.bot._process
    assert process is not None
    return process.pid


if __name__ == "__main__":
    main()
