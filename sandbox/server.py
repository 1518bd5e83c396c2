"""HTTP front of the sandbox: the Bot API for the bot, a JSON control API for the user side,
and a web page on it for people acting by hand (``ui_url``).

Why: the real bot (python-telegram-bot) must talk to the sandbox exactly as to
api.telegram.org, over HTTP, only with another base URL; tests and ``relais demo`` act as
officers and workers through a second, sandbox-only API on the same port. The server owns
an event loop (its own daemon thread, or the caller's via ``serve_forever``) so long polls
on both sides wait on state changes, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from sandbox import webui
from sandbox.limits import Fault
from sandbox.methods import (
    Params,
    UploadedFile,
    canonical_name,
    chat_id_hint,
    dispatch,
    scope_key,
    visible_commands,
)
from sandbox.state import JSON, ApiError, World, bad_request

if TYPE_CHECKING:
    from sandbox.client import SandboxClient

__all__ = ["CONFLICT_DESCRIPTION", "SandboxServer"]

log = logging.getLogger(__name__)

CONFLICT_DESCRIPTION = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_TIMEOUT_S = 10.0  # an answer slower than this is a failed delivery
WEBHOOK_FIRST_RETRY_S = 0.25  # after a failure: wait, then the same update again (in order)
WEBHOOK_MAX_RETRY_S = 4.0
TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,100}$")
_MAX_WAIT = 120.0


class SandboxServer:
    """A loopback Telegram for one bot token; see ``base_url`` and ``control_url``."""

    def __init__(
        self,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "relais_sandbox_bot",
        *,
        enforce_limits: bool = False,
        callback_query_ttl: float | None = 15.0,
    ) -> None:
        if not TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like a Telegram token: '<digits>:<secret>'")
        self.token = token
        self.host = host
        self._requested_port = port
        self.world = World(
            int(token.split(":", 1)[0]),
            bot_username,
            enforce_limits=enforce_limits,
            callback_query_ttl=callback_query_ttl,
        )
        self.world.add_listener(self._on_change)
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._changed: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- addresses ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not listening yet; call start()")
        return self._port

    @property
    def base_url(self) -> str:
        """Give this to PTB (``ApplicationBuilder().base_url(...)``); it appends the token."""
        return f"http://{self._url_host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._url_host}:{self.port}/file/bot"

    @property
    def control_url(self) -> str:
        """Base URL of the user-side control API (for ``SandboxClient``)."""
        return f"http://{self._url_host}:{self.port}/sandbox"

    @property
    def ui_url(self) -> str:
        """The web page where a person acts by hand as officers and workers."""
        return f"{self.control_url}/ui"

    @property
    def _url_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host

    @property
    def running(self) -> bool:
        return self._loop is not None

    # -- life cycle ---------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        port = self._port if self._port is not None else self._requested_port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        return sock

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Serve in a background daemon thread; returns once the socket is listening."""
        if self._thread is not None or self.running:
            raise RuntimeError("the sandbox is already running")
        self._sock = self._bind()
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(
            target=self._thread_main, name="relais-sandbox", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the sandbox did not start in time")
        if self._startup_error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise RuntimeError("the sandbox failed to start") from self._startup_error
        return self

    def _thread_main(self) -> None:
        try:
            asyncio.run(self.serve_forever())
        except BaseException as exc:  # reported to start(), or logged when already up
            if not self._ready.is_set():
                self._startup_error = exc
                self._ready.set()
            else:
                log.exception("sandbox server crashed")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (pending long polls return) and join the thread if any."""
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stop_event.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    async def serve_forever(self, ready: Callable[[SandboxServer], None] | None = None) -> None:
        """Serve on the running event loop until ``stop()`` is called or the task is
        cancelled; usable directly from a CLI command (``asyncio.run(server.serve_forever())``).
        ``ready`` is called once listening (e.g. to print ``base_url`` when port=0).
        """
        if self._sock is None:
            self._sock = self._bind()
        sock, self._sock = self._sock, None
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._changed = asyncio.Event()
        self._stop_event = asyncio.Event()
        self.world.closing = False
        runner = web.AppRunner(
            self._make_app(), handle_signals=False, access_log=None, shutdown_timeout=2.0
        )
        try:
            await runner.setup()
            site = web.SockSite(runner, sock)
            await site.start()
            pusher = asyncio.create_task(self._deliver_webhooks(), name="sandbox webhooks")
            self._ready.set()
            log.info("Telegram sandbox listening on %s", self.base_url)
            if ready is not None:
                ready(self)
            await self._stop_event.wait()
            # Closing first, then the cancel: on Python 3.11 asyncio.wait_for swallows a
            # cancel that arrives as its awaited event is set (a poll's touch just before the
            # stop), and the pusher would then wait its full minute; closing ends its wait.
            with self.world.lock:
                self.world.closing = True
            self._fire()
            pusher.cancel()
            await asyncio.wait({pusher}, timeout=WEBHOOK_TIMEOUT_S)
        finally:
            with self.world.lock:
                self.world.closing = True
            self._fire()
            await runner.cleanup()
            sock.close()
            self._loop = None
            self._loop_thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self) -> SandboxClient:
        """A ``SandboxClient`` bound to this server."""
        from sandbox.client import SandboxClient

        return SandboxClient(self.control_url)

    # -- waiting on changes -------------------------------------------------------------

    def _on_change(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._fire()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        event = self._changed
        if event is not None:
            self._changed = asyncio.Event()
            event.set()

    async def _wait(
        self, predicate: Callable[[], bool], timeout: float, recheck: float | None = None
    ) -> bool:
        """Wait until ``predicate()`` holds (re-evaluated on each change), or time out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(timeout, 0.0), _MAX_WAIT)
        while True:
            event = self._changed
            with self.world.lock:
                if predicate():
                    return True
                if self.world.closing:
                    return False
            remaining = deadline - loop.time()
            if remaining <= 0 or event is None:
                return False
            if recheck is not None:
                remaining = min(remaining, recheck)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # -- webhook delivery ---------------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        """While a webhook is set, POST the oldest pending update to it, one at a time, with
        the secret header; a 2xx confirms it, anything else (or no answer) is retried after a
        growing pause, the same update first: order is kept, nothing skipped."""
        world = self.world
        pause = WEBHOOK_FIRST_RETRY_S
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                await self._wait(lambda: world.webhook is not None and bool(world.updates), 60)
                with world.lock:
                    if world.closing:
                        return
                    hook = world.webhook
                    if hook is None or not world.updates:
                        continue
                    update = copy.deepcopy(world.updates[0])
                headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
                problem = await self._post_update(session, hook.url, update, headers)
                if problem is None:
                    world.delivered(int(update["update_id"]))
                    pause = WEBHOOK_FIRST_RETRY_S
                    continue
                log.debug("sandbox webhook update=%s failed: %s", update["update_id"], problem)
                world.delivery_failed(problem)
                await self._wait(lambda: False, pause)
                pause = min(pause * 2, WEBHOOK_MAX_RETRY_S)

    @staticmethod
    async def _post_update(
        session: aiohttp.ClientSession, url: str, update: JSON, headers: dict[str, str]
    ) -> str | None:
        """None when the bot answered 2xx, else what went wrong (as getWebhookInfo says)."""
        try:
            async with session.post(url, json=update, headers=headers) as answer:
                await answer.read()
                if 200 <= answer.status < 300:
                    return None
                return f"Wrong response from the webhook: {answer.status} {answer.reason}"
        except TimeoutError:
            return "Timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {type(exc).__name__}"

    # -- HTTP plumbing ------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_endpoint)
        routes: dict[str, tuple[str, Callable[[JSON], Awaitable[Any]]]] = {
            "users": ("POST", self._c_add_user),
            "send": ("POST", self._c_send),
            "edit": ("POST", self._c_edit),
            "press": ("POST", self._c_press),
            "messages": ("GET", self._c_messages),
            "reply_keyboard": ("GET", self._c_reply_keyboard),
            "changes": ("GET", self._c_changes),
            "callback_answer": ("GET", self._c_callback_answer),
            "idle": ("POST", self._c_idle),
            "block": ("POST", self._c_block),
            "fault": ("POST", self._c_fault),
            "clear_faults": ("POST", self._c_clear_faults),
            "limits": ("POST", self._c_limits),
            "fault_counts": ("GET", self._c_fault_counts),
            "transcript": ("GET", self._c_transcript),
            "render": ("POST", self._c_render),
            "commands": ("GET", self._c_commands),
            "menu": ("GET", self._c_menu),
            "info": ("GET", self._c_info),
            "reset": ("POST", self._c_reset),
        }
        for name, (verb, handler) in routes.items():
            app.router.add_route(verb, f"/sandbox/{name}", self._control(handler))
        app.router.add_get("/sandbox/ui", webui.page)
        return app

    async def _read_params(self, request: web.Request) -> Params:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                raw.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        raw[key] = UploadedFile(value.filename, value.content_type, len(data))
                    else:
                        raw[key] = value
        return Params(raw)

    async def _bot_endpoint(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            if not TOKEN_RE.fullmatch(token):
                raise ApiError(404, "Not Found")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            params = await self._read_params(request)
            with self.world.lock:
                reset = self.world.faults.take("reset", method, chat_id_hint(params))
            if reset is not None:  # the connection drops before the call is made
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError("sandbox: connection reset (injected)")
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
            else:
                result = self._call(method, params)
                with self.world.lock:
                    late = self.world.faults.take("delay", method, chat_id_hint(params))
                if late is not None:  # delivered, but the answer comes late (or never)
                    await self._wait(lambda: False, late.delay)
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            log.debug("sandbox %s -> %s %s", method, exc.code, exc.description)
            if exc.code == 429:
                with self.world.lock:
                    self.world.flood_answers += 1
            return web.json_response(exc.payload(), status=exc.code)
        except ConnectionResetError:
            raise
        except Exception as exc:  # a sandbox bug: say so loudly, in Telegram's shape
            log.exception("sandbox failed on %s", method)
            error = ApiError(500, f"Internal Server Error: sandbox bug in {method}: {exc!r}")
            return web.json_response(error.payload(), status=500)

    def _call(self, method: str, params: Params) -> Any:
        world = self.world
        with world.lock:
            world.inflight_calls += 1
        try:
            return dispatch(world, method, params)
        finally:
            with world.lock:
                world.inflight_calls -= 1
                world.last_bot_call = world.monotonic()
            log.debug("sandbox call %s", canonical_name(method))

    async def _get_updates(self, p: Params) -> list[JSON]:
        world = self.world
        with world.lock:
            if world.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            fault = world.faults.take("error", "getupdates", None)
            if fault is not None:
                raise ApiError(fault.error_code, fault.description, fault.retry_after)
            offset = p.int("offset", 0) or 0
            limit = min(max(p.int("limit", 100) or 100, 1), 100)
            timeout = max(p.float("timeout") or 0.0, 0.0)
            allowed = p.json("allowed_updates", "allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                    raise bad_request("can't parse allowed_updates JSON object")
                world.set_allowed_updates(allowed)
            if world.faults.take("repeat", "getupdates", None) and world.last_batch:
                return copy.deepcopy(world.last_batch)  # as if the offset confirmed nothing
            world.poll_generation += 1
            generation = world.poll_generation
            world.confirm(offset)
            world.touch()  # wakes an earlier poller, which then answers 409
        if timeout > 0:
            await self._wait(
                lambda: world.poll_generation != generation or bool(world.updates), timeout
            )
        with world.lock:
            if world.poll_generation != generation:
                raise ApiError(409, CONFLICT_DESCRIPTION)
            batch = world.peek(limit)
            if batch:
                world.last_batch = copy.deepcopy(batch)
            return batch

    # -- control API (user side) --------------------------------------------------------

    def _control(
        self, handler: Callable[[JSON], Awaitable[Any]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            args: JSON = dict(request.query)
            if request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    return web.json_response(
                        {"ok": False, "error": "body must be JSON"}, status=400
                    )
                if isinstance(body, dict):
                    args.update(body)
            try:
                result = await handler(args)
            except (ValueError, KeyError, TypeError) as exc:
                message = str(exc) if not isinstance(exc, KeyError) else f"missing {exc}"
                return web.json_response({"ok": False, "error": message}, status=400)
            return web.json_response({"ok": True, "result": result})

        return endpoint

    async def _c_add_user(self, a: JSON) -> JSON:
        return self.world.add_user(
            int(a["user_id"]),
            str(a["first_name"]),
            a.get("language_code", "fr"),
            a.get("username"),
            a.get("last_name"),
            bool(a.get("started", False)),
        )

    async def _c_send(self, a: JSON) -> JSON:
        fields = a.get("fields") or {}
        if not isinstance(fields, dict):
            raise ValueError("fields must be an object")
        chat_id = a.get("chat_id")
        reply_to = a.get("reply_to")
        return self.world.user_send(
            int(a["user_id"]),
            fields,
            reply_to=int(reply_to) if reply_to is not None else None,
            chat_id=int(chat_id) if chat_id is not None else None,
            chat_type=str(a.get("chat_type") or "private"),
            media=a.get("media"),
        )

    async def _c_press(self, a: JSON) -> list[str]:
        presses = a.get("presses")
        if not isinstance(presses, list) or not presses:
            raise ValueError("presses must be a non-empty list")
        return self.world.press(presses)

    async def _c_messages(self, a: JSON) -> JSON:
        include_user = str(a.get("include_user", "")).lower() in ("1", "true")
        with self.world.lock:
            return {
                "version": self.world.version,
                "messages": self.world.visible_messages(int(a["chat_id"]), include_user),
            }

    async def _c_reply_keyboard(self, a: JSON) -> JSON | None:
        with self.world.lock:
            chat = self.world.chats.get(int(a["chat_id"]))
            return dict(chat.reply_keyboard) if chat and chat.reply_keyboard else None

    async def _c_changes(self, a: JSON) -> JSON:
        since = int(a.get("since", 0))
        await self._wait(lambda: self.world.version > since, float(a.get("timeout", 10)))
        return {"version": self.world.version}

    async def _c_callback_answer(self, a: JSON) -> JSON | None:
        query_id = str(a["query_id"])
        self.world.callback_answer(query_id)  # ValueError when unknown
        timeout = float(a.get("timeout", 0))
        if timeout > 0:
            await self._wait(lambda: self.world.callbacks[query_id].answer is not None, timeout)
        return self.world.callback_answer(query_id)

    async def _c_idle(self, a: JSON) -> JSON:
        quiet = float(a.get("quiet", 0.0))
        idle = await self._wait(
            lambda: self.world.is_idle(quiet),
            float(a.get("timeout", 10)),
            recheck=quiet / 2 if quiet > 0 else None,
        )
        with self.world.lock:
            return {"idle": idle, "pending": len(self.world.updates)}

    async def _c_edit(self, a: JSON) -> JSON:
        return self.world.user_edit(int(a["user_id"]), int(a["message_id"]), str(a["text"]))

    async def _c_block(self, a: JSON) -> bool:
        self.world.set_blocked(int(a["user_id"]), bool(a.get("blocked", True)))
        return True

    async def _c_fault(self, a: JSON) -> bool:
        chat_id, retry_after = a.get("chat_id"), a.get("retry_after")
        fault = Fault(
            kind=str(a.get("kind", "error")),
            method=a.get("method"),
            chat_id=int(chat_id) if chat_id is not None else None,
            remaining=int(a.get("count", 1)),
            error_code=int(a.get("error_code", 0)),
            description=str(a.get("description", "")),
            retry_after=int(retry_after) if retry_after is not None else None,
            delay=float(a.get("delay", 0.0)),
            share=float(a.get("share", 1.0)),
        )
        with self.world.lock:
            self.world.faults.add(fault)
        return True

    async def _c_clear_faults(self, a: JSON) -> bool:
        with self.world.lock:
            self.world.faults.reset()
        return True

    async def _c_limits(self, a: JSON) -> bool:
        """Telegram-like rate limits on or off while running (429 with retry_after)."""
        self.world.set_limits(bool(a.get("enabled", True)))
        return True

    async def _c_fault_counts(self, a: JSON) -> JSON:
        """How many faults were injected, by kind or error code, and 429s answered."""
        with self.world.lock:
            return {"injected": dict(self.world.faults.injected), "429": self.world.flood_answers}

    async def _c_transcript(self, a: JSON) -> list[JSON]:
        chat_id = a.get("chat_id")
        with self.world.lock:
            return [
                dict(e)
                for e in self.world.transcript
                if chat_id is None or e.get("chat_id") == int(chat_id)
            ]

    async def _c_render(self, a: JSON) -> str:
        names = {int(k): str(v) for k, v in (a.get("names") or {}).items()}
        chat_id = a.get("chat_id")
        return self.world.render(names, int(chat_id) if chat_id is not None else None)

    async def _c_commands(self, a: JSON) -> list[JSON]:
        scope = a.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        key = scope_key(scope, str(a.get("language_code") or ""))
        with self.world.lock:
            return [dict(c) for c in self.world.commands.get(key, [])]

    async def _c_menu(self, a: JSON) -> JSON:
        """The command menu this user sees in their private chat (Telegram's resolution)."""
        with self.world.lock:
            return visible_commands(self.world, int(a["user_id"])) | {"version": self.world.version}

    async def _c_info(self, a: JSON) -> JSON:
        world = self.world
        with world.lock:
            return {
                "bot": world.bot_user(),
                "pending_updates": len(world.updates),
                "webhook": (
                    {
                        "url": world.webhook.url,
                        "delivered": world.webhook.delivered,
                        "failed": world.webhook.failed,
                        "max_connections": world.webhook.max_connections,
                    }
                    if world.webhook is not None
                    else None
                ),
                "allowed_updates": sorted(world.allowed_updates),
                "profile": {k: dict(v) for k, v in world.profile.items()},
                "menu_buttons": {str(k): v for k, v in world.menu_buttons.items()},
                "commands": [
                    {"scope": json.loads(scope), "language_code": lang, "commands": cmds}
                    for (scope, lang), cmds in world.commands.items()
                ],
                "users": [u.api() | {"blocked": u.blocked} for u in world.users.values()],
                "chats": sorted(world.chats),
                "version": world.version,
            }

    async def _c_reset(self, a: JSON) -> bool:
        self.world.reset()
        return True
