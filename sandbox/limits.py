"""Flood control and fault injection for the sandbox: scripted errors (429 and others),
late answers, and optional realistic rate limits.

Why: a bot that works in a test but is throttled by Telegram in a training room with
twenty officers is a real failure mode, and so is a send that timed out on the bot's side
although Telegram delivered it. Injection makes both testable on demand;
the token buckets reproduce Telegram's documented limits (about 30 messages/s per bot,
about 1/s per private chat with short bursts, 20/min per group) when enabled.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Fault", "FaultInjector", "RateLimits", "TokenBucket"]


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


KINDS = ("error", "delay", "reset", "repeat")


@dataclass
class Fault:
    """One scripted misbehaviour: an error answer ("error"), a late answer to a delivered
    call ("delay"), a connection closed before the call is made ("reset"), or a getUpdates
    that answers the batch it answered last, as if the offset had not confirmed it
    ("repeat"). With share below 1, each matching call misbehaves with that probability
    (a given share of 429s or 502s for a while); count is how many times it may."""

    kind: str
    method: str | None
    chat_id: int | None
    remaining: int
    error_code: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    share: float = 1.0


# Methods a wildcard injection (method=None) never hits: a bot that cannot poll or start
# would hide the behaviour under test.
_NEVER_WILDCARD = frozenset({"getupdates", "getme", "deletewebhook", "getwebhookinfo"})


class FaultInjector:
    """Queue of scripted faults: the next ``count`` matching calls misbehave."""

    def __init__(self, seed: int = 13) -> None:
        self._faults: list[Fault] = []
        self._random = random.Random(seed)  # a share of faults, the same on every run
        self.injected: dict[str, int] = {}  # kind (or error code) -> times it happened

    def add(self, fault: Fault) -> None:
        if fault.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
        if not 0 < fault.share <= 1:
            raise ValueError("share must be in (0, 1]")
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        if fault.kind == "error" and not 400 <= fault.error_code <= 599:
            raise ValueError("error_code must be an HTTP error status (400-599)")
        if fault.retry_after is not None and fault.retry_after < 1:
            raise ValueError("retry_after must be at least 1")
        if fault.kind == "delay" and not 0 < fault.delay <= 120:
            raise ValueError("delay must be in (0, 120] seconds")
        fault.method = fault.method.lower() if fault.method else None
        self._faults.append(fault)

    def add_flood(
        self, method: str | None, chat_id: int | None, retry_after: int, count: int
    ) -> None:
        self.add(
            Fault(
                "error",
                method,
                chat_id,
                count,
                429,
                f"Too Many Requests: retry after {retry_after}",
                retry_after,
            )
        )

    def take(self, kind: str, method: str, chat_id: int | None) -> Fault | None:
        """The first fault of ``kind`` matching this call, consuming one use of it."""
        name = method.lower()
        for fault in self._faults:
            if fault.kind != kind:
                continue
            if fault.method is None and name in _NEVER_WILDCARD:
                continue
            if fault.method is not None and fault.method != name:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            if fault.share < 1 and self._random.random() >= fault.share:
                continue
            fault.remaining -= 1
            what = str(fault.error_code) if fault.kind == "error" else fault.kind
            self.injected[what] = self.injected.get(what, 0) + 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def reset(self) -> None:
        self._faults.clear()
        self.injected.clear()
