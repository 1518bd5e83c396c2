"""End-to-end harness: the sandbox in this process, the real bot as a child process
(`python -m bot run --base-url ...`), and helpers that act as officers and workers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bot.launcher import BotProcess
from flows import enrolment
from flows.store import Database, utc_now
from flows.vocabulary import Role
from sandbox import SandboxClient, SandboxServer

TOKEN = "987654321:E2E-test-token-for-the-sandbox"
STARTUP = 60.0  # the first answer includes the bot's start-up
STEP = 15.0
# The sandbox enforces no Telegram limit unless a test turns them on, yet the bot's own pacing
# per private chat (a burst of 2, then 1 message a second) made every test wait a second per
# message to a person. The e2e bot paces 100 a second instead; the tests of delivery under
# Telegram's limits pass PRODUCT_PACING to run with the shipped defaults.
TEST_PACING = {"RELAIS_CHAT_MESSAGES_PER_SECOND": "100", "RELAIS_CHAT_BURST": "20"}
PRODUCT_PACING = {"RELAIS_CHAT_MESSAGES_PER_SECOND": "1.0", "RELAIS_CHAT_BURST": "2"}


class World:
    """One sandbox, one bot process, one database: a small police service in a box."""

    def __init__(
        self,
        sandbox: SandboxServer,
        db: Database,
        tmp_path: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.db = db
        self.user = SandboxClient(sandbox.control_url)
        self.bot = BotProcess(
            token=TOKEN,
            base_url=sandbox.base_url,
            database_url=db.url,
            log_path=tmp_path / "bot.log",
            extra_env={**TEST_PACING, **(env or {})},
        )
        self.names: dict[int, str] = {}
        self.answer = ""  # the officer's last "request sent" or "nobody available" line
        self._first_wait = True

    @property
    def step(self) -> float:
        if self._first_wait:
            self._first_wait = False
            return STARTUP
        return STEP

    def restart(self) -> None:
        self.bot.start()
        self._first_wait = True

    def enrol(self, user_id: int, role: Role, name: str, language_code: str = "fr") -> None:
        """Invite, then /start CODE from that account, as a new person would."""
        self.user.add_user(user_id, name.split()[-1], language_code=language_code)
        issued = enrolment.create_invite(self.db, role, name, utc_now, timedelta(hours=1))
        self.user.send_text(user_id, f"/start {issued.code}")
        self.user.wait_for_text(user_id, name, self.step)
        self.names[user_id] = f"{role.value} {name}"

    def go_on(self, user_id: int) -> None:
        self.user.send_text(user_id, "/on")
        self.user.wait_for(
            user_id,
            lambda m: (
                "disponible :" in m.get("text", "") or "You are available" in m.get("text", "")
            ),
            self.step,
            description="the /on confirmation",
        )

    def open_consultation(
        self,
        officer_id: int,
        text: str,
        category: str = "Santé mentale",
        urgency: str = "Urgente (dans l'heure)",
    ) -> str:
        """Officer writes, taps a category then an urgency; returns the reference."""
        before = self.last_id(officer_id)
        self.user.send_text(officer_id, text)
        return self.finish_request(officer_id, before, category, urgency)

    def finish_request(
        self,
        officer_id: int,
        before: int,
        category: str = "Santé mentale",
        urgency: str = "Urgente (dans l'heure)",
    ) -> str:
        """The taps after the officer's first words (sent after message `before`)."""
        prompt = self.user.wait_for(
            officer_id,
            lambda m: m["message_id"] > before and "Quelle catégorie" in m.get("text", ""),
            self.step,
            description="the category question",
        )
        self.user.press(officer_id, prompt["message_id"], text=category)
        self.user.wait_for(
            officer_id,
            lambda m: m["message_id"] == prompt["message_id"] and "Quelle urgence" in m["text"],
            self.step,
            description="the urgency question",
        )
        self.user.press(officer_id, prompt["message_id"], text=urgency)
        answer = self.user.wait_for(
            officer_id,
            lambda m: (
                m["message_id"] > prompt["message_id"]
                and ("envoyée" in m["text"] or "aucun·e intervenant·e" in m["text"])
            ),
            self.step,
            description="the request sent / nobody available answer",
        )
        found = re.search(r"C-\d{4,}", answer["text"])
        assert found is not None, answer["text"]
        self.answer = answer["text"]  # the officer's line (the location question may follow)
        return found.group(0)

    def card(self, worker_id: int, reference: str) -> dict:
        return self.user.wait_for(
            worker_id,
            lambda m: f"{reference}\n" in m.get("text", "") and bool(m.get("reply_markup")),
            self.step,
            description=f"the offer card for {reference}",
        )

    def accept(self, worker_id: int, reference: str) -> None:
        card = self.card(worker_id, reference)
        query = self.user.press(worker_id, card["message_id"], data=card_button(card))
        self.user.wait_for_callback_answer(query, self.step)

    def last_id(self, chat_id: int) -> int:
        messages = self.user.messages(chat_id)
        return messages[-1]["message_id"] if messages else 0

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.user.messages(chat_id)]

    def close(self) -> None:
        self.bot.stop()
        self.user.close()


def card_button(card: dict) -> str:
    return str(card["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


@contextmanager
def running_world(
    db: Database, tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[World]:
    """env: settings for the bot process, e.g. short escalation windows."""
    with SandboxServer(token=TOKEN) as sandbox, started(World(sandbox, db, tmp_path, env)) as world:
        yield world


@contextmanager
def started(world: World) -> Iterator[World]:
    """The world's bot started; its log's tail printed if the test fails; closed after."""
    world.bot.start()
    try:
        yield world
    except BaseException:
        print("---- bot log ----\n" + world.bot.log_tail(80))
        raise
    finally:
        world.close()
