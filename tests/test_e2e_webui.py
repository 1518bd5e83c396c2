"""End to end, by hand: a person uses the sandbox's web page in a real (headless) Chromium to
enrol as an officer and ask for help, then as a social worker to go on duty and accept it,
typing and clicking as a person does, while the real bot runs against the sandbox."""

from __future__ import annotations

import asyncio
import struct
from datetime import timedelta
from pathlib import Path

import pytest

from flows import enrolment, people
from flows.store import utc_now
from flows.vocabulary import Role
from tests.support.browser import Page, chromium_page, require_chromium

pytestmark = pytest.mark.e2e

OFFICER, WORKER = 1001, 2001
STARTUP, STEP = 60.0, 20.0


def invite(world, role: Role, name: str) -> str:
    """What `relais invite --quiet` prints."""
    return enrolment.create_invite(world.db, role, name, utc_now, timedelta(hours=1)).code


def test_a_person_enrols_asks_and_answers_by_hand_in_the_sandbox_page(world, tmp_path: Path):
    chromium = require_chromium()  # skipped without one (tests/test_webui.py covers the page
    # over plain HTTP), a failure under CI=true
    officer_code = invite(world, Role.OFFICER, "Julie Tremblay")
    worker_code = invite(world, Role.WORKER, "Sam Wilson")

    async def by_hand(page: Page) -> bytes:
        await page.navigate(f"{world.sandbox.ui_url}?user={OFFICER}&name=Tremblay&lang=fr")
        await page.wait_for_text(".person.selected", "Tremblay", STEP)
        await page.type("#text", f"/start {officer_code}")
        await page.click("#send")
        await page.wait_for_text(".msg.bot", "Bienvenue, Julie Tremblay", STARTUP)
        await page.wait_for_text("#menu .command", "/consult", STEP)  # the officer's own menu

        await page.type("#text", "Homme en crise sur le pont Jacques-Cartier")
        await page.key("Enter")
        await page.click(".kb-button", "Santé mentale", STEP)
        await page.wait_for_text(".msg.bot", "Quelle urgence", STEP)
        await page.click(".kb-button", "Urgente", STEP)
        await page.wait_for_text(".msg.bot", "aucun·e intervenant·e", STEP)

        await page.type("#add-id", str(WORKER))
        await page.type("#add-name", "Wilson")
        await page.evaluate('document.querySelector("#add-lang").value = "en"')
        await page.click("#add")
        await page.wait_for_text(".person.selected", "Wilson", STEP)
        await page.type("#text", f"/start {worker_code}")
        await page.key("Enter")
        await page.wait_for_text(".msg.bot", "Welcome, Sam Wilson", STEP)
        await page.click("#menu .command", "/on", STEP)  # from the menu, as in Telegram
        await page.click(".kb-button", "Accept", STEP)
        await page.wait_for_text(".msg.bot", "is yours", STEP)
        await page.wait_for_text(".msg.bot", "pont Jacques-Cartier", STEP)

        await page.click(".person", "Tremblay")
        await page.wait_for_text(".msg.bot", "acceptée par Sam Wilson", STEP)
        return await page.screenshot()

    async def run() -> tuple[bytes, list[str]]:
        async with chromium_page(chromium, tmp_path) as page:
            shot = await by_hand(page)
            return shot, page.errors

    shot, errors = asyncio.run(run())
    assert errors == []
    (tmp_path / "sandbox-page.png").write_bytes(shot)  # to look at when it fails
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000
    width, height = struct.unpack(">II", shot[16:24])
    assert width == 1280 and height > 600

    officer = people.find_by_telegram_id(world.db, OFFICER)
    worker = people.find_by_telegram_id(world.db, WORKER)
    assert officer is not None and officer.role == Role.OFFICER and officer.language == "fr"
    assert worker is not None and worker.role == Role.WORKER and worker.language == "en"
    events = world.user.transcript(OFFICER)
    assert any(e["event"] == "press" and e["button"] == "Santé mentale" for e in events)
