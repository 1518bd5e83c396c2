"""Headless Chromium driven over the DevTools protocol (a websocket, through aiohttp), to use
the sandbox's web page as a person would: load it, type, press Enter, click with the mouse,
read the page, take a screenshot. No browser-automation dependency; tests skip where no
chromium binary is found. Waits are on the page's own changes (a MutationObserver), with a
timeout, never sleeps. Everything stays on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.waiting import wait_until

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """RELAIS_CHROMIUM, else the first chromium-like binary on PATH, else None."""
    configured = os.environ.get("RELAIS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def require_chromium() -> str:
    """The chromium binary; else the test is skipped, saying why, except in CI (CI=true),
    where this machine has chromium and its absence fails (as tests/support/databases.py
    does for an unreachable PostgreSQL)."""
    found = find_chromium()
    if found is not None:
        return found
    message = "no chromium binary found (install chromium or set RELAIS_CHROMIUM)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; in CI this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


class PageError(AssertionError):
    """The page did not get where the test expected; carries what the page showed."""


class Page:
    """One browser tab. ``errors`` collects uncaught exceptions, console errors and browser
    log errors (a Content-Security-Policy violation lands there)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = iter(range(1, 1_000_000))
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self.errors: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
                continue
            self._on_event(data["method"], data.get("params", {}))

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(str(details.get("exception", {}).get("description") or details))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(str(params["entry"].get("text")))
        for future in self._events.pop(method, []):
            if not future.done():
                future.set_result(params)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    async def evaluate(self, expression: str, *, timeout: float = 30) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise)."""
        result = await asyncio.wait_for(
            self.send(
                "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
            ),
            timeout + 5,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise PageError(str(details.get("exception", {}).get("description") or details))
        return result["result"].get("value")

    async def navigate(self, url: str, timeout: float = 30) -> None:
        loaded: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._events.setdefault("Page.loadEventFired", []).append(loaded)
        await self.send("Page.navigate", url=url)
        await asyncio.wait_for(loaded, timeout)

    async def wait_for(self, condition: str, timeout: float, what: str) -> Any:
        """The (truthy) value of the JavaScript ``condition`` once it holds, re-checked on
        every change of the page; PageError with the page's text after ``timeout``."""
        script = f"""new Promise((resolve, reject) => {{
            const check = () => {{
                let value;
                try {{ value = ({condition}); }} catch (e) {{ value = undefined; }}
                if (!value) return;
                observer.disconnect();
                clearTimeout(timer);
                resolve(typeof value === "object" ? true : value);  // elements: just "found"
            }};
            const observer = new MutationObserver(check);
            observer.observe(document, {{subtree: true, childList: true, characterData: true,
                                         attributes: true}});
            const timer = setTimeout(() => {{ observer.disconnect(); resolve(null); }},
                                     {int(timeout * 1000)});
            check();
        }})"""
        value = await self.evaluate(script, timeout=timeout)
        if not value:
            shown = await self.evaluate("document.body.innerText")
            raise PageError(f"{what} not seen within {timeout:g}s. The page showed:\n{shown}")
        return value

    async def wait_for_text(self, selector: str, text: str, timeout: float) -> None:
        """An element matching ``selector`` whose text contains ``text``."""
        await self.wait_for(_find(selector, text), timeout, f"{selector} containing {text!r}")

    async def click(self, selector: str, text: str | None = None, timeout: float = 15) -> None:
        """A real left click (mouse pressed and released) at the middle of the element."""
        what = f"{selector}" + (f" with {text!r}" if text else "")
        await self.wait_for(_find(selector, text), timeout, what)
        x, y = await self.evaluate(
            f"""(() => {{
                const e = {_find(selector, text)};
                e.scrollIntoView({{block: "center"}});
                const r = e.getBoundingClientRect();
                return [r.x + r.width / 2, r.y + r.height / 2];
            }})()"""
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def type(self, selector: str, text: str) -> None:
        """Click into a field, clear it, and type ``text`` as a keyboard would insert it."""
        await self.click(selector)
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        await self.send("Input.insertText", text=text)

    async def key(self, name: str = "Enter") -> None:
        codes = {"Enter": 13}
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key=name,
                code=name,
                windowsVirtualKeyCode=codes.get(name, 0),
            )

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """The viewport as PNG, or with ``full_page`` the whole page, scrolled or not."""
        if not full_page:
            shot = await self.send("Page.captureScreenshot", format="png")
            return base64.b64decode(shot["data"])
        size = (await self.send("Page.getLayoutMetrics"))["cssContentSize"]
        width = max(size["width"], await self.evaluate("window.innerWidth"))  # with scrollbar
        clip = {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}
        shot = await self.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip
        )
        return base64.b64decode(shot["data"])

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def _find(selector: str, text: str | None) -> str:
    """A JavaScript expression: the first element matching selector (and containing text)."""
    if text is None:
        return f"document.querySelector({json.dumps(selector)})"
    return (
        f"[...document.querySelectorAll({json.dumps(selector)})]"
        f".find((e) => e.textContent.includes({json.dumps(text)}))"
    )


@contextlib.asynccontextmanager
async def chromium_page(binary: str, workdir: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium (own profile, no network but loopback) and its first tab."""
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    log = (workdir / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        active = profile / "DevToolsActivePort"
        wait_until(
            lambda: active.exists() and len(active.read_text().splitlines()) >= 2,
            30,
            "Chromium's DevTools port file",
        )
        port = int(active.read_text().splitlines()[0])
        async with aiohttp.ClientSession(trust_env=False) as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = await answer.json()
            target = next(t for t in targets if t.get("type") == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                for domain in ("Page", "Runtime", "Log"):
                    await page.send(f"{domain}.enable")
                try:
                    yield page
                finally:
                    await page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
