"""The sandbox's webhook, as Telegram's: once set, getUpdates answers 409; each update is POSTed
to the URL with the secret header, one at a time, in order; a failed delivery is tried again
later, the same update first; getWebhookInfo tells the pending count and the last error."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from aiohttp import web

from sandbox import SandboxServer
from tests.support.waiting import wait_until
from tests.support.webhooks import SECRET, HttpStub

pytestmark = pytest.mark.e2e

TOKEN = "987654321:E2E-test-token-for-the-sandbox"


def call(sandbox: SandboxServer, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{sandbox.base_url}{TOKEN}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Receiver:
    """Refuses the first `failures` deliveries with 500, then takes them."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[int] = []
        self.taken: list[int] = []
        self.secrets: set[str | None] = set()
        self.lock = threading.Lock()

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        with self.lock:
            self.attempts.append(update["update_id"])
            self.secrets.add(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
            if len(self.attempts) <= self.failures:
                return web.Response(status=500)
            self.taken.append(update["update_id"])
        return web.Response(status=200)


def test_a_set_webhook_gets_every_update_in_order_through_failures_and_stops_polling():
    receiver = Receiver(failures=2)
    with SandboxServer(token=TOKEN) as sandbox, HttpStub(receiver.handle) as stub:
        user = sandbox.client()
        user.add_user(1001, "Julie")
        status, _ = call(sandbox, "setWebhook", url=stub.url, secret_token=SECRET)
        assert status == 200
        status, answer = call(sandbox, "getUpdates", timeout=0)
        assert status == 409 and "webhook is active" in answer["description"]

        for n in range(3):
            user.send_text(1001, f"ligne {n}")
        wait_until(lambda: len(receiver.taken) == 3, 15, "three updates delivered")
        assert receiver.attempts[:3] == [receiver.taken[0]] * 3  # the first one, again
        assert receiver.taken == sorted(receiver.taken)  # in order
        assert receiver.secrets == {SECRET}
        _, info = call(sandbox, "getWebhookInfo")
        assert info["result"]["url"] == stub.url
        assert info["result"]["pending_update_count"] == 0
        assert "500" in info["result"]["last_error_message"]

        call(sandbox, "deleteWebhook")
        user.send_text(1001, "après")
        status, answer = call(sandbox, "getUpdates", timeout=0)
        assert status == 200 and len(answer["result"]) == 1  # polling again
        assert len(receiver.taken) == 3


def test_a_webhook_outside_this_machine_or_a_bad_secret_is_refused():
    with SandboxServer(token=TOKEN) as sandbox:
        status, answer = call(sandbox, "setWebhook", url="https://example.org/telegram")
        assert status == 400 and "bad webhook" in answer["description"]
        status, _ = call(sandbox, "setWebhook", url="http://127.0.0.1:1/x", secret_token="a b")
        assert status == 400
        _, info = call(sandbox, "getWebhookInfo")
        assert info["result"]["url"] == ""
