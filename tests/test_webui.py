"""The sandbox's web page over plain HTTP, without a browser: it is served self-contained
under a policy that forbids any outside asset, every control call it makes exists, and the
calls it makes let a person act (add an account, write, press a button, read the menu).
`relais sandbox` prints the page's address, and with `relais run` beside it a person enrols."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton
from telegram import InlineKeyboardMarkup as Keyboard

from bot.launcher import BotProcess
from sandbox import SandboxClient, SandboxServer
from sandbox.webui import PAGE

TOKEN = "123456789:AAE-webui_token"
PERSON = 1001


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(TOKEN) as srv:
        yield srv


def http() -> httpx.Client:
    return httpx.Client(timeout=30, trust_env=False)


def call(client: httpx.Client, server: SandboxServer, verb: str, name: str, **kw: object):
    """A control call exactly as the page's fetch makes it (JSON body, query parameters)."""
    answer = client.request(verb, f"{server.control_url}/{name}", **kw)  # type: ignore[arg-type]
    payload = answer.json()
    assert payload["ok"], payload
    return payload["result"]


def test_the_page_is_self_contained_under_a_policy_forbidding_outside_assets(server):
    with http() as client:
        answer = client.get(server.ui_url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    page = answer.text
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert re.search(r"https?://|url\(", page) is None


def test_every_control_call_the_page_makes_exists_with_that_verb(server):
    calls = set(re.findall(r'api\("(GET|POST)", "(\w+)"', PAGE))
    assert {name for _, name in calls} >= {"info", "users", "messages", "send", "press", "menu"}
    with http() as client:
        for verb, name in sorted(calls):
            answer = client.request(verb, f"{server.control_url}/{name}", json={})
            assert answer.status_code in (200, 400), (verb, name, answer.status_code)
            assert "ok" in answer.json()


def test_the_calls_of_the_page_let_a_person_write_press_and_see_their_menu(server):
    with http() as client:
        call(client, server, "POST", "users", json={"user_id": PERSON, "first_name": "Tremblay"})
        users = call(client, server, "GET", "info")["users"]
        assert [(u["id"], u["first_name"], u["language_code"]) for u in users] == [
            (PERSON, "Tremblay", "fr")
        ]
        call(client, server, "POST", "send", json={"user_id": PERSON, "fields": {"text": "allo"}})

        async def bot_answers() -> int:
            async with Bot(TOKEN, base_url=server.base_url) as bot:
                await bot.set_my_commands(
                    [BotCommand("consult", "Ouvrir")], scope=BotCommandScopeChat(PERSON)
                )
                keys = Keyboard([[InlineKeyboardButton("Santé mentale", callback_data="c:1")]])
                card = await bot.send_message(PERSON, "Quelle catégorie ?", reply_markup=keys)
                return card.message_id

        card = asyncio.run(bot_answers())
        snapshot = call(
            client, server, "GET", "messages", params={"chat_id": PERSON, "include_user": 1}
        )
        shown = [(m["from"]["is_bot"], m.get("text")) for m in snapshot["messages"]]
        assert shown == [(False, "allo"), (True, "Quelle catégorie ?")]
        menu = call(client, server, "GET", "menu", params={"user_id": PERSON})
        assert menu["commands"] == [{"command": "consult", "description": "Ouvrir"}]

        presses = [{"user_id": PERSON, "message_id": card, "data": "c:1"}]
        (query,) = call(client, server, "POST", "press", json={"presses": presses})

        async def bot_acknowledges() -> None:
            async with Bot(TOKEN, base_url=server.base_url) as bot:
                await bot.answer_callback_query(query, text="Noté")

        asyncio.run(bot_acknowledges())
        answer = call(
            client, server, "GET", "callback_answer", params={"query_id": query, "timeout": 5}
        )
        assert answer["text"] == "Noté"
        changes = call(client, server, "GET", "changes", params={"since": 0, "timeout": 1})
        assert changes["version"] > 0


@pytest.mark.e2e
def test_relais_sandbox_prints_the_page_and_with_relais_run_a_person_enrols(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
    env |= {"PYTHONUNBUFFERED": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.db'}"}
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    bot: BotProcess | None = None
    try:
        assert sandbox.stdout is not None
        printed = []
        for line in sandbox.stdout:
            printed.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(printed)
        ui = re.search(r"in a browser: (http://127\.0\.0\.1:\d+/sandbox/ui)", text)
        run = re.search(r"relais run --token (\S+) --base-url (http://127\.0\.0\.1:\d+/bot)", text)
        assert ui and run, text
        with http() as client:
            assert client.get(ui.group(1)).status_code == 200

        bot = BotProcess(
            token=run.group(1),
            base_url=run.group(2),
            database_url=env["DATABASE_URL"],
            log_path=tmp_path / "bot.log",
        )
        # as the README says: the schema first (`relais run` makes it too, but the invite
        # would race it), then the bot and the invite
        subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, check=True)
        bot.start()
        invite = ["invite", "--role", "worker", "--name", "Marie Roy", "--quiet"]
        code = subprocess.run(
            [sys.executable, "-m", "bot", *invite],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        control = ui.group(1).removesuffix("/ui")
        with http() as client:
            for name, body in (
                ("users", {"user_id": PERSON, "first_name": "Roy", "language_code": "fr"}),
                ("send", {"user_id": PERSON, "fields": {"text": f"/start {code}"}}),
            ):
                assert client.post(f"{control}/{name}", json=body).json()["ok"]
        with SandboxClient(control) as user:
            user.wait_for_text(PERSON, "Bienvenue, Marie Roy", 60)
    finally:
        if bot is not None:
            bot.stop()
        sandbox.terminate()
        sandbox.wait(timeout=10)
