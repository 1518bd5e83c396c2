"""Webhook helpers for the tests: a free port, a tiny HTTP server on 127.0.0.1 in its own
thread (a recording receiver, or a round-robin load balancer in front of several bots), and
a bot process in webhook mode started with the documented command line."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.launcher import BotProcess

Handler = Callable[[web.Request], Awaitable[web.Response]]
SECRET = "e2e-webhook-secret-0123456789abcdef"
PATH = "/telegram"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpStub:
    """One aiohttp server on 127.0.0.1 in a daemon thread, answering with `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.port = free_port()
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._main, name="http-stub", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> HttpStub:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the HTTP stub did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class RoundRobin:
    """A load balancer: each POST goes to the next backend in turn; one that cannot be
    reached answers 502 (Telegram then sends the update again, to the next one)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._turn = itertools.cycle(range(len(backends)))
        self.forwarded: list[int] = []  # which backend took each request (index)
        self.statuses: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        index = next(self._turn)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = request.headers.get("Content-Type", "application/json")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(self.backends[index], data=body, headers=headers) as answer,
            ):
                status = answer.status
                text = await answer.read()
        except (aiohttp.ClientError, TimeoutError):
            status, text = 502, b""
        self.forwarded.append(index)
        self.statuses.append(status)
        return web.Response(status=status, body=text)


def webhook_bot(
    *,
    token: str,
    base_url: str,
    database_url: str,
    log_path: Path,
    webhook_url: str,
    port: int,
    env: dict[str, str] | None = None,
) -> BotProcess:
    """`relais run --webhook-url URL --listen 127.0.0.1 --port PORT`, the secret from the
    environment as documented."""
    return BotProcess(
        token=token,
        base_url=base_url,
        database_url=database_url,
        log_path=log_path,
        extra_env={"RELAIS_WEBHOOK_SECRET": SECRET, **(env or {})},
        extra_args=["--webhook-url", webhook_url, "--listen", "127.0.0.1", "--port", str(port)],
    )
