"""End to end in webhook mode: the real `relais run --webhook-url ... --listen ... --port ...`
as a child process, the sandbox POSTing updates to it. An officer and a worker talk through
it; a request without the secret is refused and nothing of it is processed; a SIGKILL right
after the 200s loses nothing; a database outage is answered 503 and the update comes again;
two processes on one database behind a round-robin load balancer serve one consultation, an
escalation fires once and no notice is sent twice."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from flows import events as event_log
from flows import views
from flows.models import Consultation, InboxUpdate, OutboxNotice
from flows.store import Database
from flows.vocabulary import EventKind, OutboxState, Role
from sandbox import SandboxServer
from tests.support.databases import POSTGRES_URL, database, fresh_postgres_url, postgres_reachable
from tests.support.e2e import TOKEN, World, started
from tests.support.waiting import wait_until
from tests.support.webhooks import PATH, SECRET, HttpStub, RoundRobin, free_port, webhook_bot

pytestmark = pytest.mark.e2e

OFFICER, ROY = 1001, 2001


@contextmanager
def webhook_world(
    db: Database, tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[World]:
    """The sandbox and one bot in webhook mode, the sandbox POSTing straight to it."""
    with SandboxServer(token=TOKEN) as sandbox:
        world = World(sandbox, db, tmp_path, env)
        port = free_port()
        world.bot = webhook_bot(
            token=TOKEN,
            base_url=sandbox.base_url,
            database_url=db.url,
            log_path=tmp_path / "bot.log",
            webhook_url=f"http://127.0.0.1:{port}{PATH}",
            port=port,
            env=env,
        )
        world.webhook_url = f"http://127.0.0.1:{port}{PATH}"  # type: ignore[attr-defined]
        with started(world):
            yield world


@pytest.fixture
def hooked(db: Database, tmp_path: Path) -> Iterator[World]:
    with webhook_world(db, tmp_path) as world:
        yield world


def bot_log(world: World) -> str:
    return world.bot.log_path.read_text(errors="replace")


def talking(world: World) -> str:
    """An officer and a worker in an accepted consultation; its reference."""
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(ROY, Role.WORKER, "Marie Roy")
    world.go_on(ROY)
    reference = world.open_consultation(OFFICER, "Homme agité devant le métro")
    world.accept(ROY, reference)
    world.user.wait_for_text(OFFICER, f"{reference} acceptée par Marie Roy", world.step)
    return reference


def webhook_state(world: World) -> dict:
    hook = world.user.info()["webhook"]
    assert hook is not None, "no webhook set"
    return hook


def post(url: str, body: bytes, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def forged_line(update_id: int, text_: str) -> bytes:
    user = {"id": OFFICER, "is_bot": False, "first_name": "Julie"}
    message = {
        "message_id": 900_000 + update_id % 1000,
        "date": int(time.time()),
        "chat": {"id": OFFICER, "type": "private", "first_name": "Julie"},
        "from": user,
        "text": text_,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def inbox_ids(db: Database) -> set[int]:
    with db.unit_of_work() as session:
        return {int(i) for i in session.scalars(select(InboxUpdate.update_id))}


def unhandled_count(db: Database) -> int:
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(InboxUpdate.update_id).where(InboxUpdate.handled_at.is_(None))
        )
        return len(list(rows))


def numbered(world: World, chat_id: int, tag: str) -> list[str]:
    found: list[str] = []
    for line in world.texts(chat_id):
        found += re.findall(rf"\b{tag}-\d+\b", line)
    return found


# -- one process ---------------------------------------------------------------------------


def test_an_officer_reaches_a_worker_and_they_exchange_lines_in_webhook_mode(hooked):
    world = hooked
    talking(world)
    for i in range(1, 4):
        world.user.send_text(OFFICER, f"o-{i}")
        world.user.send_text(ROY, f"r-{i}")
    wait_until(
        lambda: len(numbered(world, ROY, "o")) == 3 and len(numbered(world, OFFICER, "r")) == 3,
        world.step,
        "the lines both ways",
    )
    assert numbered(world, ROY, "o") == ["o-1", "o-2", "o-3"]  # in order, once each
    assert numbered(world, OFFICER, "r") == ["r-1", "r-2", "r-3"]
    hook = webhook_state(world)
    assert hook["url"] == world.webhook_url and hook["delivered"] >= 10
    assert "webhook (unsent=" in bot_log(world) and "polling (" not in bot_log(world)
    assert SECRET not in bot_log(world)  # never printed


def test_a_request_without_the_right_secret_is_refused_and_nothing_of_it_is_processed(hooked):
    world = hooked
    talking(world)
    url = world.webhook_url
    assert post(url, forged_line(990_001, "ligne forgée sans secret"), None) == 401
    assert post(url, forged_line(990_002, "ligne forgée mauvais secret"), "x" * 40) == 403
    assert post(url, b"{not json", SECRET) == 200  # read by nobody, never sent again
    assert post(url, b'{"update_id": true}', SECRET) == 200  # was a 500: bool is an int
    assert post(url, b'{"update_id": 99999999999999999999999}', SECRET) == 200  # past bigint
    world.user.send_text(OFFICER, "ligne vraie")  # through the sandbox, with the secret
    world.user.wait_for_text(ROY, "ligne vraie", world.step)
    assert not any("forgée" in line for line in world.texts(ROY))
    assert not inbox_ids(world.db) & {990_001, 990_002}
    log = bot_log(world)
    assert "refused a request without the secret token" in log
    assert "refused a request with a wrong secret token" in log
    assert "ignored a body that is not JSON" in log
    assert "forgée" not in log


def health(world: World) -> tuple[int, dict]:
    url = world.webhook_url.replace(PATH, "/healthz")  # type: ignore[attr-defined]
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def test_requests_refused_for_their_secret_turn_the_health_red_until_one_is_taken(hooked):
    """Two processes set up with different secrets refuse each other's deliveries: the
    health says so instead of 'set'."""
    world = hooked
    talking(world)
    for i in range(5):
        assert post(world.webhook_url, forged_line(990_100 + i, "x"), "y" * 40) == 403
    status, body = health(world)
    assert status == 503
    assert "another secret token" in body["checks"]["webhook"]["detail"]
    world.user.send_text(OFFICER, "ligne vraie")  # Telegram's delivery, with the secret
    world.user.wait_for_text(ROY, "ligne vraie", world.step)
    status, body = health(world)
    assert status == 200 and body["checks"]["webhook"]["detail"] == "set"


def test_a_sigkill_right_after_the_200s_loses_nothing(db, tmp_path):
    answer_at_once = {"RELAIS_WEBHOOK_HANDLING_WAIT_SECONDS": "0"}  # 200 once stored
    with webhook_world(db, tmp_path, answer_at_once) as world:
        _killed_after_the_200s(world)


def _killed_after_the_200s(world: World) -> None:
    talking(world)
    # The officer's /help answer comes late: the officer's next updates wait behind it, in
    # order, stored (answered 200) and not yet handled when the bot is killed.
    world.user.inject_delay(method="sendMessage", chat_id=OFFICER, seconds=4.0)
    world.user.send_text(OFFICER, "/help")
    for i in range(1, 4):
        world.user.send_text(OFFICER, f"k-{i}")
    wait_until(lambda: world.user.pending_updates() == 0, world.step, "every update answered 200")
    world.bot.kill()
    assert unhandled_count(world.db) >= 3  # stored, not handled: only the inbox has them
    assert world.user.pending_updates() == 0  # Telegram holds nothing any more
    world.restart()
    wait_until(lambda: len(numbered(world, ROY, "k")) == 3, world.step, "the lines after restart")
    world.user.wait_until_idle(world.step, quiet=1.0)
    assert numbered(world, ROY, "k") == ["k-1", "k-2", "k-3"]  # once each, in order
    assert "replayed=4" in bot_log(world)


@pytest.mark.postgres
def test_a_database_outage_is_answered_503_and_the_update_comes_again(tmp_path):
    with fresh_postgres_url() as url:
        db = Database(url)
        db.upgrade()
        try:
            with webhook_world(db, tmp_path) as world:
                talking(world)
                name = str(make_url(url).database)
                connections(name, allowed=False)
                try:
                    world.user.send_text(OFFICER, "pendant la panne")
                    wait_until(
                        lambda: webhook_state(world)["failed"] >= 2,
                        world.step,
                        "deliveries refused during the outage",
                    )
                    assert world.user.pending_updates() == 1  # still at Telegram
                    info = world.user.info()
                    assert info["pending_updates"] == 1
                    assert "answered 503 to update=" in bot_log(world)
                finally:
                    connections(name, allowed=True)
                world.user.wait_for_text(ROY, "pendant la panne", world.step)
                world.user.send_text(ROY, "bien reçu")
                world.user.wait_for_text(OFFICER, "bien reçu", world.step)
                assert world.bot.running
        finally:
            db.dispose()


def connections(database_name: str, allowed: bool) -> None:
    """As an administrator: allow or refuse new connections; refusing also ends the open ones."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(
            text(f'ALTER DATABASE "{database_name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
        if not allowed:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database_name},
            )
    admin.dispose()


# -- two processes behind a load balancer ----------------------------------------------------

SHORT = {
    "RELAIS_ACK_IMMEDIATE_SECONDS": "2",
    "RELAIS_ACK_URGENT_SECONDS": "2",
    "RELAIS_ACK_ADVICE_SECONDS": "2",
    "RELAIS_REQUEUE_SECONDS": "600",
    "RELAIS_SWEEP_SECONDS": "1",
    "RELAIS_WEBHOOK_REPLAY_SECONDS": "2",
}


ESCALATION_LINES = ("Personne n'a encore accepté", "Toujours personne pour", "Personne n'a pu")


@pytest.fixture
def shared_db(tmp_path: Path) -> Iterator[Database]:
    """PostgreSQL when reachable (in CI it must be), else SQLite."""
    reason = postgres_reachable()
    if reason is not None and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is unreachable in CI ({reason})", pytrace=False)
    with database("sqlite" if reason else "postgres", tmp_path) as db:
        yield db


def test_two_processes_behind_a_load_balancer_serve_one_consultation_once(shared_db, tmp_path):
    db = shared_db
    ports = [free_port(), free_port()]
    balancer = RoundRobin([f"http://127.0.0.1:{port}{PATH}" for port in ports])
    limits = SandboxServer(token=TOKEN, enforce_limits=True)  # notices wait their turn
    with limits as sandbox, HttpStub(balancer.handle) as front:
        world = World(sandbox, db, tmp_path, SHORT)
        bots = behind(front.url, ports, sandbox, db, tmp_path, SHORT)
        world.bot = bots[0]
        for bot in bots:
            bot.start()
        try:
            wait_until(lambda: all(taking(bot) for bot in bots), 60, "both taking updates")
            world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
            world.enrol(ROY, Role.WORKER, "Marie Roy")
            world.go_on(ROY)
            ref = world.open_consultation(OFFICER, "Femme sur le toit")
            world.card(ROY, ref)  # not accepted in time: every tier, then the fallback
            world.user.wait_for_text(OFFICER, f"Personne n'a pu prendre {ref}", world.step)
            world.accept(ROY, ref)
            world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
            for i in range(1, 5):
                world.user.send_text(OFFICER, f"o-{i}")
                world.user.send_text(ROY, f"r-{i}")
            wait_until(
                lambda: (
                    len(numbered(world, ROY, "o")) >= 4 and len(numbered(world, OFFICER, "r")) >= 4
                ),
                world.step,
                "the lines both ways",
            )
            world.user.wait_until_idle(world.step, quiet=3.0)  # both sweeps ran meanwhile

            assert numbered(world, ROY, "o") == [f"o-{i}" for i in range(1, 5)]
            assert numbered(world, OFFICER, "r") == [f"r-{i}" for i in range(1, 5)]
            officer_lines = world.texts(OFFICER)
            for said in ESCALATION_LINES:  # the tiers that apply here, each told once
                assert sum(said in line and ref in line for line in officer_lines) <= 1, said
            assert sum(f"Personne n'a pu prendre {ref}" in line for line in officer_lines) == 1
            assert sum(f"{ref} acceptée par" in line for line in officer_lines) == 1
            cards = [line for line in world.texts(ROY) if f"{ref}\n" in line]
            assert len(cards) == 1  # one card, edited in place
            cid = views.parse_reference(ref)
            assert cid is not None
            kinds = Counter(e.kind for e in event_log.timeline(db, cid))
            assert kinds[EventKind.ACCEPTED] == 1 and kinds[EventKind.FALLBACK_GIVEN] == 1
            assert kinds[EventKind.MESSAGE_RELAYED] == 8  # each update applied once

            # A follow-up planned through one process or the other is reminded once.
            world.user.send_text(OFFICER, "/close")
            prompt = world.user.wait_for_text(ROY, "Quel est le résultat", world.step)
            world.user.press(ROY, prompt["message_id"], text="Orienté vers une ressource")
            question = world.user.wait_for_text(ROY, "un suivi à prévoir", world.step)
            world.user.press(ROY, question["message_id"], text="Autre date…")
            world.user.wait_for_text(ROY, "écrivez la date et l'heure", world.step)
            world.user.send_text(ROY, "dans 5 secondes")
            world.user.wait_for_text(ROY, "suivi prévu le", world.step)
            world.user.wait_for_text(ROY, f"⏰ Suivi {ref}", world.step)
            world.user.wait_until_idle(world.step, quiet=3.0)  # both sweeps ran meanwhile
            reminders = [t for t in world.texts(ROY) if t.startswith(f"⏰ Suivi {ref}")]
            assert len(reminders) == 1
            assert (
                Counter(e.kind for e in event_log.timeline(db, cid))[EventKind.FOLLOWUP_REMINDED]
                == 1
            )
            assert_each_notice_sent_once(db, sandbox)
            answered = zip(balancer.forwarded, balancer.statuses, strict=True)
            took = Counter(i for i, status in answered if status == 200)
            assert took[0] >= 5 and took[1] >= 5, took  # both processes served the consultation
            print(f"\nupdates taken: {dict(took)} on {make_url(db.url).get_backend_name()}")
        except BaseException:
            for bot in bots:
                print(f"---- {bot.log_path.name} ----\n" + bot.log_tail(60))
            raise
        finally:
            for bot in bots:
                bot.stop()
            world.user.close()


def behind(
    url: str,
    ports: list[int],
    sandbox: SandboxServer,
    db: Database,
    tmp_path: Path,
    env: dict[str, str] | None = None,
) -> list:  # type: ignore[type-arg]
    """One webhook process per port, all on one database, Telegram's URL the balancer's."""
    return [
        webhook_bot(
            token=TOKEN, base_url=sandbox.base_url, database_url=db.url,
            log_path=tmp_path / f"bot{n}.log", webhook_url=url, port=port, env=env,
        )
        for n, port in enumerate(ports)
    ]  # fmt: skip


def taking(bot: object) -> bool:
    path = bot.log_path  # type: ignore[attr-defined]
    return bool(path.exists() and "webhook (unsent=" in path.read_text(errors="replace"))


def assert_each_notice_sent_once(db: Database, sandbox: SandboxServer) -> None:
    """Every notice sent, by one process, and the messages it produced exist once each."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(
                OutboxNotice.state,
                OutboxNotice.claimed_by,
                OutboxNotice.chat_id,
                OutboxNotice.produced,
            )
        ).all()
    assert rows and all(state == OutboxState.SENT for state, *_ in rows)
    assert len({claimed for _, claimed, *_ in rows}) == 2  # both processes sent some
    produced = [(chat, m) for _, _, chat, ids in rows for m in (ids or [])]
    assert len(produced) == len(set(produced))
    sent = Counter(
        (entry.get("chat_id"), entry.get("message_id"))
        for entry in sandbox.client().transcript()
        if entry.get("event") in ("sendMessage", "copyMessage")
    )
    assert all(n == 1 for n in sent.values())


def test_two_processes_keep_one_officers_messages_in_order(shared_db, tmp_path):
    """Round robin spreads one officer's consecutive messages over both processes: the three
    first lines make one request (not two drafts), and twelve lines typed in a row reach the
    worker in order. Each 200 waits for the update's handling, and setWebhook asks Telegram
    for one delivery at a time (RELAIS_WEBHOOK_MAX_CONNECTIONS=1)."""
    db = shared_db
    ports = [free_port(), free_port()]
    balancer = RoundRobin([f"http://127.0.0.1:{port}{PATH}" for port in ports])
    with SandboxServer(token=TOKEN) as sandbox, HttpStub(balancer.handle) as front:
        world = World(sandbox, db, tmp_path)
        bots = behind(front.url, ports, sandbox, db, tmp_path)
        world.bot = bots[0]
        for bot in bots:
            bot.start()
        try:
            wait_until(lambda: all(taking(bot) for bot in bots), 60, "both taking updates")
            world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
            world.enrol(ROY, Role.WORKER, "Marie Roy")
            world.go_on(ROY)
            assert webhook_state(world)["max_connections"] == 1
            before = world.last_id(OFFICER)
            for line in ("Homme en crise au parc", "il a un couteau", "il crie"):
                world.user.send_text(OFFICER, line)
            ref = world.finish_request(OFFICER, before)
            world.user.wait_until_idle(world.step, quiet=1.0)
            with db.unit_of_work() as session:
                cases = session.scalars(select(Consultation.request_text)).all()
            assert len(cases) == 1, cases  # one request holds all three lines, not two drafts
            card = world.card(ROY, ref)
            assert "il a un couteau" in card["text"] and "il crie" in card["text"]
            world.accept(ROY, ref)
            world.user.wait_for_text(OFFICER, f"{ref} acceptée par Marie Roy", world.step)
            for i in range(1, 13):
                world.user.send_text(OFFICER, f"b-{i}")
            wait_until(lambda: len(numbered(world, ROY, "b")) >= 12, world.step, "the lines")
            assert numbered(world, ROY, "b") == [f"b-{i}" for i in range(1, 13)]
            answered = zip(balancer.forwarded, balancer.statuses, strict=True)
            took = Counter(i for i, status in answered if status == 200)
            assert took[0] >= 5 and took[1] >= 5, took  # both processes took the officer's lines
        except BaseException:
            for bot in bots:
                print(f"---- {bot.log_path.name} ----\n" + bot.log_tail(60))
            raise
        finally:
            for bot in bots:
                bot.stop()
            world.user.close()
