"""The one way out: every notice a use case committed to the outbox leaves through here. It is
rendered in the recipient's language at send time, sent through the sender (splitting, flood
waits, retries), and what it produced is recorded with the row marked sent, in one
transaction. Inside a chat, a consultation's notices go in the order they were decided: an
edit never passes its card, a case's relayed lines never pass each other; a notice that
names no consultation never passes an older one and is passed only by a more urgent
consultation. Between consultations the most urgent
goes first (its oldest notice), so under a burst an immediate request's card does not wait
behind a worker's older advice cards; chats are served in parallel, the most urgent first.
On start, whatever was committed and not sent is sent. A crash after a send and before its
record sends that notice again on restart: at most one duplicate, never a loss. The gate
orders sends by urgency; Telegram's limits are kept below it, by the bot's rate limiter
(bot/rate_limits.py). A recipient who blocked the bot is reported (on_blocked) so they are
recorded as unreachable.

With several processes on one database (webhook mode behind a load balancer) each notice is
claimed: the process whose use case committed it holds it from the start, the others read
only rows nobody holds or whose holder stopped renewing its claim (it died), in one
conditional update; a notice held longer than half a lease is renewed before it is sent, and
dropped if another process took it over meanwhile. No notice is sent by two processes."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import message_links, metrics
from bot.render import notices as rendering
from bot.render.notices import Context, Copy, Edit, Photo, Step, Text
from bot.sender import Blocked, Sender, Unreachable
from flows import outbox
from flows.directory import DirectoryHolder
from flows.outbox import Notice
from flows.store import Clock, Database
from flows.views import ConsultationView

log = logging.getLogger(__name__)

CONCURRENT_CHATS = 16
REMEMBERED = 10_000  # recorded notice ids kept against a stale read of the outbox
FIRST_HOLD_S = 2.0
MAX_HOLD_S = 30.0  # once Telegram answers again, a held notice leaves within this

CLAIM_LEASE = timedelta(seconds=60)  # a process that stopped renewing for this long is gone

Retrying = Callable[..., Awaitable[object]]


class TakenOver(Exception):
    """Another process claimed this notice while this one held it: not sent, not recorded."""


@dataclass(frozen=True)
class Claims:
    """This process's name among several sharing the database, and how long a claim lasts."""

    name: str
    lease: timedelta = CLAIM_LEASE


OnBlocked = Callable[[int], Awaitable[None]]


class PriorityGate:
    """At most `size` sends at once; a waiting chat with a more urgent notice goes first."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        await future

    def release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class ChatQueue:
    """One chat's waiting notices, grouped by consultation (those about none are one group).
    A group keeps the order its notices were decided, since an edit must not pass its card
    nor a case's line the one before; between consultations the most urgent (lowest
    priority) goes first, ties to the oldest notice. A group is as urgent as its most urgent
    notice, so a case raised to immediate pulls its whole queue forward, in order. A notice
    about no consultation never passes an older one, and is passed only by a consultation
    more urgent than it: many such notices are about a case without saying which (the
    accept's and a hand-over's lines to the officer, a care plan, a relay failure), so a
    case's lines of the same urgency wait behind them, while an immediate card still goes
    before a digest or a report. A pick looks at each group's first notice and at the notices
    naming none (few), not at every notice."""

    def __init__(self) -> None:
        self._groups: dict[int | None, deque[Notice]] = {}
        self._priorities: dict[int | None, Counter[int]] = {}  # each group's, counted
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, notice: Notice) -> None:
        """Queue a notice in its group, in decided (id) order: one read late from the
        outbox (a timed pass's, committed in a worker thread) still takes its place."""
        key = consultation_of(notice)
        group = self._groups.setdefault(key, deque())
        if group and notice.id < group[-1].id:
            group.insert(bisect.bisect(group, notice.id, key=lambda n: n.id), notice)
        else:
            group.append(notice)
        self._priorities.setdefault(key, Counter())[notice.priority] += 1
        self._size += 1

    def most_urgent(self) -> int:
        """The chat's most urgent priority waiting (what the gate ranks it by)."""
        return min(min(counts) for counts in self._priorities.values())

    def pop(self) -> Notice:
        """The oldest notice of the most urgent consultation that may go before the oldest
        notice about none (ties: the group with the oldest); that one once none may."""
        unnamed = self._groups.get(None, deque())
        before = [key for key in self._groups if key is not None and self._may_pass(key, unnamed)]
        key = min(before, key=self._rank) if before else None
        group, counts = self._groups[key], self._priorities[key]
        notice = group.popleft()
        counts[notice.priority] -= 1
        if not counts[notice.priority]:
            del counts[notice.priority]
        if not group:
            del self._groups[key], self._priorities[key]
        self._size -= 1
        return notice

    def _may_pass(self, key: int, unnamed: deque[Notice]) -> bool:
        """Whether a consultation may go before the notices that name none: those decided
        before its oldest, each less urgent than it (an immediate card before a digest or a
        report; never a case's line before a hand-over or accept line of the same urgency)."""
        head, urgency = self._groups[key][0].id, min(self._priorities[key])
        return all(urgency < n.priority for n in unnamed if n.id < head)

    def _rank(self, key: int | None) -> tuple[int, int]:
        return min(self._priorities[key]), self._groups[key][0].id


def consultation_of(notice: Notice) -> int | None:
    """The consultation a notice is about: its column, or else the consultation it shows (an
    offer card and its rewrites name it only in their parameters)."""
    if notice.consultation_id is not None:
        return notice.consultation_id
    shown = notice.params.get("consultation")
    return shown.id if isinstance(shown, ConsultationView) else None


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        clock: Clock,
        directory: DirectoryHolder,
        fallback_line: str,
        run_retrying: Retrying,
        *,
        concurrent_chats: int = CONCURRENT_CHATS,
        on_blocked: OnBlocked | None = None,
        claims: Claims | None = None,
    ) -> None:
        self._db = db
        self._sender = sender
        self._clock = clock
        self._directory = directory
        self._fallback_line = fallback_line
        self._run_retrying = run_retrying
        self._gate = PriorityGate(concurrent_chats)
        self._on_blocked = on_blocked
        self._pending: dict[int, ChatQueue] = {}
        self._drains: dict[int, asyncio.Task[None]] = {}
        self._claims = claims
        self._claimed: dict[int, datetime] = {}  # several processes: when each was claimed
        self._known: set[int] = set()  # queued or being sent by this process
        self._done: OrderedDict[int, None] = OrderedDict()  # recently recorded (bounded)
        self._idle = asyncio.Event()
        self._idle.set()

    def post(self, notices: list[Notice]) -> None:
        """Queue committed notices (from the event loop); each is sent once by this process."""
        for notice in sorted(notices, key=lambda n: n.id):
            if notice.id in self._known or notice.id in self._done:
                continue
            self._known.add(notice.id)
            if self._claims is not None:
                self._claimed.setdefault(notice.id, self._clock())
            queue = self._pending.get(notice.chat_id)
            if queue is None:
                queue = self._pending[notice.chat_id] = ChatQueue()
            queue.add(notice)
            if notice.chat_id not in self._drains:
                self._idle.clear()
                self._drains[notice.chat_id] = asyncio.create_task(
                    self._drain(notice.chat_id), name=f"dispatch:{notice.chat_id}"
                )

    async def resume(self) -> int:
        """Send what was committed and not sent when the bot last stopped (with several
        processes: what this one may claim, its own claims renewed)."""
        if self._claims is None:
            found = await self._run_retrying("reading the outbox", outbox.unsent, self._db)
        else:
            now = self._clock()
            found = await self._run_retrying(
                "claiming the outbox",
                outbox.claim_unsent,
                self._db,
                self._claims.name,
                now,
                self._claims.lease,
            )
            for notice in found:  # type: ignore[attr-defined]
                self._claimed[notice.id] = now
        notices: list[Notice] = found  # type: ignore[assignment]
        fresh = [n for n in notices if n.id not in self._known and n.id not in self._done]
        if fresh:
            log.info("sending %d committed notices", len(fresh))
        self.post(fresh)
        return len(fresh)

    async def wake(self) -> None:
        """Send what timed passes committed (they run several units in a worker thread)."""
        await self.resume()

    async def until_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending (at shutdown); False if time ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _drain(self, chat_id: int) -> None:
        """Send one chat's notices one at a time, each picked once the gate lets it through
        (so one that came meanwhile, more urgent, goes before older ones)."""
        queue = self._pending[chat_id]
        try:
            while queue:
                await self._gate.acquire(queue.most_urgent())
                notice = queue.pop()
                try:
                    await self._deliver(notice)
                except Exception:  # a bug: logged; the row stays pending for the next start
                    log.exception("notice=%s kind=%s could not be sent", notice.id, notice.kind)
                    self._known.discard(notice.id)
                finally:
                    self._gate.release()
        finally:
            del self._drains[chat_id]
            if not queue:
                self._pending.pop(chat_id, None)
            if not self._drains:
                self._idle.set()

    async def _still_mine(self, notice: Notice) -> bool:
        """Several processes: a claim older than half a lease is renewed before sending; False
        when another process took the notice over meanwhile (it is then theirs to send)."""
        if self._claims is None:
            return True
        claimed = self._claimed.get(notice.id)
        now = self._clock()
        if claimed is not None and now - claimed < self._claims.lease / 2:
            return True
        mine = await self._run_retrying(
            "renewing a notice's claim", outbox.renew_claim, self._db, self._claims.name,
            notice.id, now,
        )  # fmt: skip
        if mine:
            self._claimed[notice.id] = now
            return True
        log.warning("notice=%s taken over by another process; not sent here", notice.id)
        self._known.discard(notice.id)
        self._claimed.pop(notice.id, None)
        return False

    async def _deliver(self, notice: Notice) -> None:
        if not await self._still_mine(notice):
            return
        now = self._clock()
        try:
            steps = rendering.steps_of(notice, self._context(now))
        except Exception:
            log.exception("notice=%s kind=%s could not be rendered", notice.id, notice.kind)
            steps = None
        produced: list[int] = []
        delivered = steps is not None
        blocked = False
        for step in steps or []:
            try:
                ids = await self._held(notice, step, produced)
            except Blocked:
                ids, blocked = None, True
            except TakenOver:
                return  # another process sends it and records it
            if ids is None:
                delivered = False
                break
            produced += ids
        if blocked and self._on_blocked is not None:
            # first: the record of a failed relay then tells its sender the other blocked
            # the bot (not "try again"), in the same terms as the block's own notices; a
            # failure there must not keep the notice from its record (resent for ever)
            try:
                await self._on_blocked(notice.chat_id)
            except Exception:
                log.exception("chat=%s: recording the block failed", notice.chat_id)
        caused = await self._run_retrying(
            "recording a sent notice", self._record, notice, produced, delivered
        )
        self._forget(notice.id)
        if delivered:
            metrics.NOTICES.labels(str(notice.kind)).inc()
        self.post(caused)  # type: ignore[arg-type]

    def _forget(self, notice_id: int) -> None:
        """A recorded notice leaves the pending set; the last few thousand stay remembered,
        so a read of the outbox made just before their record cannot queue them again."""
        self._known.discard(notice_id)
        self._claimed.pop(notice_id, None)
        self._done[notice_id] = None
        while len(self._done) > REMEMBERED:
            self._done.popitem(last=False)

    def _record(self, notice: Notice, produced: list[int], delivered: bool) -> list[Notice]:
        with self._db.unit_of_work() as session:
            caused = message_links.record(session, notice, produced, delivered, self._clock)
        return caused

    def _context(self, now: datetime) -> Context:
        return Context(self._directory, now, self._fallback_line)

    async def _held(self, notice: Notice, step: Step, produced: list[int]) -> list[int] | None:
        """Execute a step, holding it while Telegram cannot be reached (the chat's other
        notices wait behind it); a stop leaves it in the outbox for the next start."""
        pause = FIRST_HOLD_S
        while True:
            if not await self._still_mine(notice):
                raise TakenOver(notice.id)
            try:
                return await self._execute(notice, step, produced)
            except Unreachable:
                log.warning(
                    "notice=%s chat=%s held: Telegram unreachable; retrying in %.0fs",
                    notice.id, notice.chat_id, pause,
                )  # fmt: skip
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_HOLD_S)

    async def _execute(self, notice: Notice, step: Step, produced: list[int]) -> list[int] | None:
        """One step; the message ids it produced, or None when Telegram refused it."""
        out, chat = self._sender, notice.chat_id
        reply_to = produced[-1] if produced and getattr(step, "reply_to_previous", False) else None
        if isinstance(step, Text):
            reply_to = step.reply_to or reply_to
            sent = await out.text(
                chat, step.text, keyboard=step.keyboard, reply_to=reply_to, hold=True
            )
            return sent or None
        if isinstance(step, Copy):
            reply_to = step.reply_to or reply_to
            copied = await out.copy(
                chat,
                step.from_chat_id,
                step.message_id,
                caption=step.caption,
                reply_to=reply_to,
                hold=True,
            )
            return [copied] if copied else None
        if isinstance(step, Photo):
            sent_photo = await out.photo(chat, step.png, caption=step.caption, hold=True)
            return [sent_photo] if sent_photo else None
        assert isinstance(step, Edit)
        if notice.edit_message_id is None:
            return []
        await out.edit(chat, notice.edit_message_id, step.text, keyboard=step.keyboard, hold=True)
        return []  # an edit that fails (message too old, deleted) is not worth more
