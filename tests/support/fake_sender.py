"""A stand-in for bot/sender.py's Sender, for in-process tests of handlers and of the
dispatcher: it records what the bot asked Telegram to do and hands out message ids. A chat
can be made unreachable (Unreachable after every attempt) or refusing (blocked the bot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Any

from bot.sender import Unreachable


@dataclass
class Sent:
    method: str
    chat_id: int | None
    text: str | None = None
    keyboard: Any = None
    message_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.unreachable: set[int] = set()
        self.refusing: set[int] = set()
        self._ids = count(100)

    def _check(self, chat_id: int, hold: bool) -> bool:
        if chat_id in self.unreachable:
            if hold:
                raise Unreachable("fake")
            return False
        return chat_id not in self.refusing

    async def text(
        self, chat_id: int, text: str, *, keyboard: Any = None, reply_to: int | None = None,
        hold: bool = False,
    ) -> list[int]:  # fmt: skip
        if not self._check(chat_id, hold):
            return []
        message_id = next(self._ids)
        self.sent.append(Sent("text", chat_id, text, keyboard, message_id, {"reply_to": reply_to}))
        return [message_id]

    async def copy(
        self, chat_id: int, from_chat_id: int, message_id: int, *, caption: str | None = None,
        reply_to: int | None = None, hold: bool = False,
    ) -> int | None:  # fmt: skip
        if not self._check(chat_id, hold):
            return None
        new_id = next(self._ids)
        extra = {"from": (from_chat_id, message_id), "reply_to": reply_to}
        self.sent.append(Sent("copy", chat_id, caption, None, new_id, extra))
        return new_id

    async def edit(
        self, chat_id: int, message_id: int, text: str, *, keyboard: Any = None,
        hold: bool = False,
    ) -> bool:  # fmt: skip
        if not self._check(chat_id, hold):
            return False
        self.sent.append(Sent("edit", chat_id, text, keyboard, message_id))
        return True

    async def edit_keyboard(self, chat_id: int, message_id: int, keyboard: Any) -> bool:
        if not self._check(chat_id, False):
            return False
        self.sent.append(Sent("edit_keyboard", chat_id, None, keyboard, message_id))
        return True

    async def answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        self.sent.append(Sent("answer", None, text, None, None, {"query": query_id}))

    async def set_commands(self, *args: Any, **kwargs: Any) -> bool:
        return True

    async def delete_commands(self, chat_id: int) -> bool:
        return True

    async def leave(self, chat_id: int) -> None:
        self.sent.append(Sent("leave", chat_id))

    def texts(self, chat_id: int) -> list[str]:
        return [s.text or "" for s in self.sent if s.chat_id == chat_id]
