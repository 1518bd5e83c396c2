"""In process, without a subprocess or a Bot API: real handlers and the real dispatcher with
a fake sender (tests/support/fake_sender.py, the dispatcher's own seam). Updates are parsed
by python-telegram-bot from Telegram's JSON, button data is taken from the keyboards the bot
sent, and what people receive is read from the sender."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Bot, Update

from bot import dispatcher as dispatcher_module
from bot import services as services_module
from bot.dispatcher import Dispatcher
from bot.handlers import buttons, messages
from bot.services import Services
from bot.settings import load_settings
from flows.models import OutboxNotice
from flows.outbox import unsent
from flows.store import Database
from flows.unit import Unit
from flows.vocabulary import Role
from tests.support.fake_sender import FakeSender
from tests.support.people import enrol

OFFICER, ROY = 71001, 72001
BOT = Bot("123456:in-process-test-token")
_update_ids = count(1)
_message_ids = count(5000)


class NoTimers:
    """Timers are the job queue's; these tests drive no clock."""

    def at(self, name: str, due: datetime, action: Callable[[], Any]) -> None: ...

    def every(self, name: str, interval: timedelta, action: Callable[[], Any]) -> None: ...

    def cancel(self, name: str) -> None: ...


@pytest.fixture
def house(db: Database, clock) -> SimpleNamespace:
    sender = FakeSender()
    settings = load_settings()
    services = Services(db=db, settings=settings, clock=clock, sender=sender, timers=NoTimers())  # type: ignore[arg-type]
    services.dispatcher = Dispatcher(
        db,
        sender,
        clock,
        services.directory,
        settings.fallback_line,
        services.run_retrying,  # type: ignore[arg-type]
    )
    context = SimpleNamespace(
        application=SimpleNamespace(bot_data={services_module.KEY: services}), args=[]
    )
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay", telegram_user_id=OFFICER)
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", telegram_user_id=ROY, available=True)
    return SimpleNamespace(
        services=services, sender=sender, context=context, db=db, officer=officer, worker=worker
    )


def text_update(user_id: int, text: str, reply_to: int | None = None) -> Update:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": 0,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "X", "language_code": "fr"},
        "text": text,
    }
    if reply_to is not None:
        message["reply_to_message"] = {
            "message_id": reply_to,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
        }
    return Update.de_json({"update_id": next(_update_ids), "message": message}, BOT)


def press_update(user_id: int, message_id: int, data: str) -> Update:
    raw = {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"q{next(_update_ids)}",
            "chat_instance": "c",
            "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "X"},
            "message": {
                "message_id": message_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Relais"},
                "text": "…",
            },
        },
    }
    return Update.de_json(raw, BOT)


async def settled(house: SimpleNamespace) -> None:
    assert await house.services.dispatcher.until_idle(5.0)


def button(sent: Any, label: str) -> str:
    for row in sent.keyboard.inline_keyboard:
        for key in row:
            if key.text == label:
                return str(key.callback_data)
    raise AssertionError(f"no button {label!r} in {sent.keyboard}")


def last(house: SimpleNamespace, chat_id: int, contains: str) -> Any:
    found = [s for s in house.sender.sent if s.chat_id == chat_id and contains in (s.text or "")]
    assert found, f"nothing with {contains!r} for {chat_id}: {house.sender.texts(chat_id)}"
    return found[-1]


async def request_accepted(house: SimpleNamespace) -> Any:
    """The officer writes, taps a category and an urgency; the worker accepts the card."""
    await messages.on_message(text_update(OFFICER, "Homme en crise sur le pont"), house.context)
    await settled(house)
    prompt = last(house, OFFICER, "Quelle catégorie")
    data = button(prompt, "Risque suicidaire")
    await buttons.on_button(press_update(OFFICER, prompt.message_id, data), house.context)
    await settled(house)
    question = last(house, OFFICER, "Quelle urgence")
    data = button(question, "Immédiate (danger maintenant)")
    await buttons.on_button(press_update(OFFICER, prompt.message_id, data), house.context)
    await settled(house)
    card = last(house, ROY, "Homme en crise sur le pont")
    await buttons.on_button(
        press_update(ROY, card.message_id, button(card, "Accepter")), house.context
    )
    await settled(house)
    return card


def test_a_request_goes_out_is_accepted_and_relayed_both_ways(house):
    async def scenario() -> None:
        card = await request_accepted(house)
        assert "disponibles maintenant : 1" in last(house, OFFICER, "envoyée").text
        assert "acceptée par Marie Roy" in last(house, OFFICER, "acceptée").text
        edits = [s for s in house.sender.sent if s.method == "edit" and s.chat_id == ROY]
        assert edits and edits[-1].message_id == card.message_id  # the card says it is hers
        await messages.on_message(text_update(OFFICER, "Il a un couteau"), house.context)
        await settled(house)
        relayed = last(house, ROY, "Il a un couteau")
        assert relayed.text.startswith("C-")
        await messages.on_message(
            text_update(ROY, "Gardez vos distances", reply_to=relayed.message_id), house.context
        )
        await settled(house)
        assert "Gardez vos distances" in last(house, OFFICER, "Gardez").text

    asyncio.run(scenario())


def test_a_stranger_is_refused_and_nothing_is_recorded(house):
    async def scenario() -> None:
        await messages.on_message(text_update(99999, "bonjour"), house.context)
        await settled(house)
        assert house.sender.texts(99999)  # one refusal
        with house.db.unit_of_work() as session:
            assert session.query(OutboxNotice).count() == 0

    asyncio.run(scenario())


def test_a_card_held_while_telegram_is_unreachable_goes_out_when_it_answers(house, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "FIRST_HOLD_S", 0.05)

    async def scenario() -> None:
        house.sender.unreachable.add(ROY)
        await messages.on_message(text_update(OFFICER, "Femme désorientée"), house.context)
        await settled(house)
        prompt = last(house, OFFICER, "Quelle catégorie")
        for label in ("Santé mentale", "Conseil"):
            sent = last(house, OFFICER, "Quelle")
            await buttons.on_button(
                press_update(OFFICER, prompt.message_id, button(sent, label)), house.context
            )
            await asyncio.sleep(0)
        await asyncio.sleep(0.2)
        assert not house.sender.texts(ROY) and unsent(house.db)  # held, not dropped
        house.sender.unreachable.clear()
        await settled(house)
        assert len([t for t in house.sender.texts(ROY) if "Femme désorientée" in t]) == 1
        assert not unsent(house.db)

    asyncio.run(scenario())


def test_a_use_case_that_raises_sends_nothing(house):
    def failing(unit: Unit, officer_id: int) -> None:
        unit.outbox.say(house.officer, "consult.queued", ref="C-0001")
        raise RuntimeError("after recording a notice")

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            await house.services.act(failing, house.officer.id)
        await settled(house)
        assert not house.sender.sent and not unsent(house.db)

    asyncio.run(scenario())
