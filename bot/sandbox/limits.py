"""Flood control for the sandbox: injected 429s and optional realistic rate limits.

Why: a bot that works in a test but is throttled by Telegram in a training room with
twenty officers is a real failure mode. Injection makes 429 handling testable on demand;
the token buckets reproduce Telegram's documented limits (about 30 messages/s per bot,
about 1/s per private chat with short bursts, 20/min per group) when enabled.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FloodInjector", "RateLimits", "TokenBucket"]


@dataclass
class TokenBucket:
    """Classic token bucket: ``capacity`` burst, refilled at ``rate`` tokens per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimits:
    """Telegram-like send limits per bot and per chat; ``check`` returns retry_after or None."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        per_bot: tuple[float, float] = (30, 30.0),
        per_private_chat: tuple[float, float] = (3, 1.0),
        per_group: tuple[float, float] = (20, 20 / 60),
    ) -> None:
        self._clock = clock
        self._per_bot = per_bot
        self._per_private = per_private_chat
        self._per_group = per_group
        self._global = self._bucket(per_bot)
        self._chats: dict[int, TokenBucket] = {}

    def _bucket(self, spec: tuple[float, float]) -> TokenBucket:
        return TokenBucket(capacity=spec[0], rate=spec[1], tokens=spec[0], updated=self._clock())

    def check(self, chat_id: int, private: bool) -> int | None:
        """Consume one message for ``chat_id``, or return the retry_after seconds if throttled."""
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._bucket(self._per_private if private else self._per_group)
            self._chats[chat_id] = chat
        wait = max(self._global.wait_time(now), chat.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.take(now)
        chat.take(now)
        return None

    def reset(self) -> None:
        self._global = self._bucket(self._per_bot)
        self._chats.clear()


@dataclass
class _Rule:
    method: str | None
    chat_id: int | None
    retry_after: int
    remaining: int


# Methods a wildcard injection (method=None) never hits: a bot that cannot poll or start
# would hide the behaviour under test.
_NEVER_WILDCARD = frozenset({"getupdates", "getme", "deletewebhook", "getwebhookinfo"})


class FloodInjector:
    """Queue of scripted 429 answers: the next ``count`` matching calls are refused."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []

    def add(self, method: str | None, chat_id: int | None, retry_after: int, count: int) -> None:
        if count < 1 or retry_after < 1:
            raise ValueError("count and retry_after must be at least 1")
        self._rules.append(_Rule(method.lower() if method else None, chat_id, retry_after, count))

    def check(self, method: str, chat_id: int | None) -> int | None:
        """Return retry_after if this call must be refused, consuming one use of the rule."""
        name = method.lower()
        for rule in self._rules:
            if rule.method is None and name in _NEVER_WILDCARD:
                continue
            if rule.method is not None and rule.method != name:
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._rules.remove(rule)
            return rule.retry_after
        return None

    def reset(self) -> None:
        self._rules.clear()
