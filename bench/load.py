"""Relais under load on a sandbox with Telegram's limits switched on (about 30 messages/s
overall, 1/s per private chat with a burst of 3), against a bare python-telegram-bot echo
bot on the same sandbox. 50 officers and 20 workers: 20 officers open requests one after the
other (each offered to every available worker: a burst of cards), each worker accepts one,
then the 20 pairs exchange lines at increasing rates, and everyone closes.

Prints, per rate: p50 / p99 of relay latency and Relais over the bare bot; lines handled per
second; then for the burst of requests: officer's last tap -> first offer card (p50 / p99),
outbound messages per second (each worker's chat at 1/s binds here); for the accepts: the
messages and edits per second (the other workers' cards rewritten "taken": many chats, so
the overall limit binds); for the whole run: 429s received (the target is none), the bot's
peak RSS, the event loop's lag p99 (from the bot's /metrics). --soak N then relays N more
lines at 20/s and prints the RSS as they go (flat is the target).

    .venv/bin/python bench/load.py [--rates 5,10,20] [--seconds 10] [--postgres] [--soak N]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.vocabulary import Role  # noqa: E402
from sandbox import SandboxClient, SandboxServer  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.e2e import PRODUCT_PACING, TOKEN, World, card_button  # noqa: E402

OFFICERS = [10_001 + i for i in range(50)]
WORKERS = [20_001 + i for i in range(20)]
PAIR_OFFSET = WORKERS[0] - OFFICERS[0]  # officer i talks with worker i (the echo bot too)
REF = re.compile(r"C-\d{4,}")


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def send_lines(user: SandboxClient, rate: float, seconds: float, tag: str) -> int:
    """Lines from the 20 paired officers in turn, at `rate` in all; how many were sent."""
    total = int(rate * seconds)
    start = time.monotonic()
    for i in range(total):
        wait = start + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        officer = OFFICERS[i % len(WORKERS)]
        user.send_text(officer, f"{tag}-{i:05d}")
    return total


def relay_latencies(user: SandboxClient, tag: str, expected: int, timeout: float = 120) -> list:
    """Seconds from each line to its arrival in the paired worker's chat."""
    deadline = time.monotonic() + timeout
    pattern = re.compile(rf"{tag}-(\d{{5}})")
    while True:
        sent: dict[str, float] = {}
        got: dict[str, float] = {}
        for e in user.transcript():
            found = pattern.search(str(e.get("text") or ""))
            if not found:
                continue
            key = found.group(1)
            if str(e.get("event", "")).startswith("user"):
                sent[key] = e["time"]
            elif e.get("event") == "bot_message" and key not in got:
                got[key] = e["time"]
        if len(got) >= expected or time.monotonic() > deadline:
            return sorted(got[k] - sent[k] for k in got if k in sent)
        time.sleep(0.2)


def baseline(rates: list[float], seconds: float) -> dict[float, list[float]]:
    """The bare bot: each officer's line passed on to their paired worker."""
    results = {}
    with SandboxServer(token=TOKEN, enforce_limits=True) as sandbox:
        user = sandbox.client()
        for chat in OFFICERS + WORKERS:
            user.add_user(chat, f"U{chat}", started=True)
        echo = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "echo_bot.py"), TOKEN, sandbox.base_url,
             f"+{PAIR_OFFSET}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            send_lines(user, 5, 1, "warm")
            relay_latencies(user, "warm", 5)
            for rate in rates:
                tag = f"e{int(rate)}"
                n = send_lines(user, rate, seconds, tag)
                results[rate] = relay_latencies(user, tag, n)
                user.wait_until_idle(30, quiet=1.0)
        finally:
            echo.terminate()
            echo.wait(10)
    return results


def open_request(world: World, officer: int, text: str) -> tuple[str, float]:
    """The officer's request, tap by tap; its reference and the time of the last tap."""
    user = world.user
    before = world.last_id(officer)
    user.send_text(officer, text)
    prompt = user.wait_for(
        officer, lambda m: m["message_id"] > before and "Quelle catégorie" in m.get("text", ""), 30
    )
    user.press(officer, prompt["message_id"], text="Santé mentale")
    user.wait_for(
        officer, lambda m: m["message_id"] == prompt["message_id"] and "urgence" in m["text"], 30
    )
    tapped = time.time()
    user.press(officer, prompt["message_id"], text="Immédiate (danger maintenant)")
    answer = user.wait_for(officer, lambda m: bool(REF.search(m.get("text", ""))) and
                           m["message_id"] > prompt["message_id"], 30)  # fmt: skip
    found = REF.search(answer["text"])
    assert found is not None
    return found.group(0), tapped


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def loop_lag_p99(port: int) -> float:
    """The event loop's lag p99 from the bot's /metrics histogram (a bucket's upper bound)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10, trust_env=False).text
    buckets = []
    for line in text.splitlines():
        if line.startswith("relais_event_loop_lag_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= 0.99 * total:
            return bound
    return float("nan")


def soak(world: World, pid: int, lines: int) -> list[tuple[int, float]]:
    """RSS as lines go by at 20/s: (lines relayed, MB), each point printed as it comes (a run
    cut short still tells), with how many of the step's lines arrived."""
    points = [(0, rss_mb(pid))]
    print(f"soak: {lines} lines at 20/s; RSS at start {points[0][1]:.1f} MB", flush=True)
    step = max(lines // 20, 1)
    for done in range(step, lines + 1, step):
        n = send_lines(world.user, 20, step / 20, f"s{done}")
        got = relay_latencies(world.user, f"s{done}", n)
        points.append((done, rss_mb(pid)))
        print(
            f"  {done:>6} lines: RSS {points[-1][1]:.1f} MB; step received {len(got)}/{n}, "
            f"p50 {statistics.median(got) * 1000:.0f} ms"
            if got
            else f"  {done}: none",
            flush=True,
        )
    return points


def drift(points: list[tuple[int, float]]) -> float:
    """MB per 1,000 lines over the second half of the soak (least squares): flat is ~0."""
    half = points[len(points) // 2 :]
    if len(half) < 2:
        return float("nan")
    xs, ys = [p[0] for p in half], [p[1] for p in half]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return slope * 1000


def relais(rates: list[float], seconds: float, kind: str, soak_lines: int = 0) -> dict:
    out: dict = {"relay": {}}
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(kind, Path(tmp)) as db,
        SandboxServer(token=TOKEN, enforce_limits=True) as sandbox,
    ):
        port = free_port()
        # The shipped per-chat pacing (the tests' World paces faster: its sandbox has no limits).
        world = World(sandbox, db, Path(tmp), {**PRODUCT_PACING, "RELAIS_HTTP_PORT": str(port)})
        world.bot.start()
        try:
            for i, officer in enumerate(OFFICERS):
                world.enrol(officer, Role.OFFICER, f"Agent Exemple {i:02d}")
            for i, worker in enumerate(WORKERS):
                world.enrol(worker, Role.WORKER, f"Intervenante Exemple {i:02d}")
                world.go_on(worker)
            world.user.wait_until_idle(60, quiet=1.0)
            process = world.bot._process
            assert process is not None
            floods0 = world.user.fault_counts()["429"]

            burst_start = time.time()
            opened = [
                open_request(world, officer, f"Demande d'exemple {n}")
                for n, officer in enumerate(OFFICERS[: len(WORKERS)])
            ]
            cards, card_lat = {}, []
            for (ref, _tapped), worker in zip(opened, WORKERS, strict=True):
                card = world.user.wait_for(
                    worker,
                    lambda m, ref=ref: (
                        f"{ref}\n" in m.get("text", "") and bool(m.get("reply_markup"))
                    ),
                    120,
                )
                cards[ref] = card
            world.user.wait_until_idle(120, quiet=1.0)
            transcript = world.user.transcript()
            for ref, tapped in opened:
                first = min(
                    e["time"] for e in transcript
                    if e.get("event") == "bot_message" and f"{ref}\n" in str(e.get("text"))
                )  # fmt: skip
                card_lat.append(first - tapped)
            sends = [
                e["time"] for e in transcript
                if e.get("event") == "bot_message" and e["time"] >= burst_start
            ]  # fmt: skip
            span = max(sends) - min(sends) if len(sends) > 1 else 1.0
            out["burst"] = {
                "cards": len(sends),
                "per_second": len(sends) / span,
                "peak_second": max(sum(1 for t in sends if s <= t < s + 1) for s in sends),
                "card_p50": statistics.median(card_lat),
                "card_p99": pct(card_lat, 99),
            }
            accepts_start = time.time()
            for (ref, _), worker in zip(opened, WORKERS, strict=True):
                card = cards[ref]
                query = world.user.press(worker, card["message_id"], data=card_button(card))
                world.user.wait_for_callback_answer(query, 60)
            world.user.wait_until_idle(120, quiet=1.0)
            outbound = [
                e["time"] for e in world.user.transcript()
                if str(e.get("event", "")).startswith("bot_") and e["time"] >= accepts_start
            ]  # fmt: skip
            span = max(outbound) - min(outbound) if len(outbound) > 1 else 1.0
            out["accepts"] = {"outbound": len(outbound), "per_second": len(outbound) / span}

            for rate in rates:
                tag = f"r{int(rate)}"
                began = time.monotonic()
                n = send_lines(world.user, rate, seconds, tag)
                lat = relay_latencies(world.user, tag, n)
                took = time.monotonic() - began
                out["relay"][rate] = (lat, n / max(took, seconds), n)
                world.user.wait_until_idle(60, quiet=1.0)
            out["soak"] = soak(world, process.pid, soak_lines) if soak_lines else []
            for officer in OFFICERS[: len(WORKERS)]:
                world.user.send_text(officer, "/close")
            world.user.wait_until_idle(120, quiet=1.0)
            out["floods"] = world.user.fault_counts()["429"] - floods0
            out["rss"] = peak_rss_mb(process.pid)
            out["lag_p99"] = loop_lag_p99(port)
        finally:
            world.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--soak", type=int, default=0, help="then relay this many lines")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    kind = "postgres" if args.postgres else "sqlite"
    base = baseline(rates, args.seconds)
    ours = relais(rates, args.seconds, kind, args.soak)
    print(f"database: {kind}; sandbox with Telegram's limits; 50 officers, 20 workers")
    for rate in rates:
        lat, handled, n = ours["relay"][rate]
        echo = base[rate]
        if not lat or not echo:
            print(f"{rate:>5g}/s: nothing measured (relais {len(lat)}, echo {len(echo)})")
            continue
        p50, p99 = statistics.median(lat), pct(lat, 99)
        print(
            f"{rate:>5g}/s: relay p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
            f"({p50 / statistics.median(echo):.2f}× / {p99 / pct(echo, 99):.2f}× the bare bot: "
            f"{statistics.median(echo) * 1000:.1f} / {pct(echo, 99) * 1000:.1f} ms); "
            f"received {len(lat)}/{n}; {handled:.1f} lines/s"
        )
    burst = ours["burst"]
    print(
        f"burst: {burst['cards']} messages, {burst['per_second']:.1f}/s on average, "
        f"{burst['peak_second']}/s at the peak; last tap -> first card p50 "
        f"{burst['card_p50'] * 1000:.0f} ms, p99 {burst['card_p99'] * 1000:.0f} ms"
    )
    accepts = ours["accepts"]
    print(
        f"accepts: {accepts['outbound']} messages and edits (the other cards say taken) at "
        f"{accepts['per_second']:.1f}/s"
    )
    print(
        f"429s received: {ours['floods']}; peak RSS {ours['rss']:.0f} MB; "
        f"event-loop lag p99 <= {ours['lag_p99'] * 1000:.0f} ms"
    )
    if ours["soak"]:
        points = ours["soak"]
        print(
            f"soak: RSS {points[0][1]:.1f} MB at the start, {points[-1][1]:.1f} MB after "
            f"{points[-1][0]} lines; over the second half {drift(points):+.2f} MB per 1,000 lines"
        )


if __name__ == "__main__":
    main()
