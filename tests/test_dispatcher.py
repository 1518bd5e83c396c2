"""The dispatcher's order inside one chat, with a fake sender: a consultation's notices leave
in the order they were decided, but under a burst the consultation holding the most urgent
notice goes first, so an immediate request's card is not stuck behind a worker's older advice
cards; a notice about no consultation never passes an older one and is passed only by a more
urgent consultation."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dispatcher import ChatQueue, Dispatcher
from flows.models import Consultation, Person
from flows.outbox import Notice, Outbox
from flows.store import Clock, Database
from flows.views import ConsultationView
from flows.vocabulary import ConsultationState, NoticeKind, Priority, Role
from tests.support.fake_sender import FakeSender
from tests.support.people import enrol

CHAT = 72001
URGENT, NORMAL = Priority.URGENT, Priority.NORMAL


async def direct(what: str, fn: Any, *args: Any) -> Any:
    """The dispatcher's database calls, run in place (the tests' database is local)."""
    return fn(*args)


def dispatcher(db: Database, clock: Clock, sender: FakeSender) -> Dispatcher:
    return Dispatcher(db, sender, clock, None, "911", direct)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def officer(db: Database, clock: Clock) -> None:
    """The officer the consultations of these tests belong to."""
    enrol(db, clock, Role.OFFICER, "Julie Tremblay")


def consultation(session: Session, label: int, now: datetime) -> int:
    """The id of the consultation a plan calls `label` (made on first use: what is sent
    about it is linked to it)."""
    found = session.scalar(select(Consultation.id).where(Consultation.request_text == str(label)))
    if found is not None:
        return found
    officer = session.scalar(select(Person.id).limit(1))  # the one enrolled (autouse fixture)
    case = Consultation(
        officer_id=officer, state=ConsultationState.DRAFT, request_text=str(label), created_at=now
    )
    session.add(case)
    session.flush()
    return case.id


def committed(
    db: Database, clock: Clock, plan: list[tuple[str, int | None, Priority]]
) -> list[Notice]:
    """One SAY notice per (tag, consultation, priority), committed in this order; the tag is
    the text's reference, to read the order back from what was sent."""
    with db.unit_of_work() as session:
        box = Outbox(session, clock())
        for tag, label, priority in plan:
            case = None if label is None else consultation(session, label, clock())
            box.to_chat(
                CHAT, "fr", NoticeKind.SAY, priority=priority, consultation_id=case,
                key="consult.queued", values={"ref": tag},
            )  # fmt: skip
        return box.recorded


def sent_tags(sender: FakeSender) -> list[str]:
    return [re.match(r"(\S+) :", text).group(1) for text in sender.texts(CHAT)]  # type: ignore[union-attr]


def drained(db: Database, clock: Clock, plan: list[tuple[str, int | None, Priority]]) -> list[str]:
    """Queue the whole plan at once (a burst), let it drain; the tags in the order sent."""
    sender = FakeSender()

    async def scenario() -> None:
        out = dispatcher(db, clock, sender)
        out.post(committed(db, clock, plan))
        assert await out.until_idle(5.0)

    asyncio.run(scenario())
    return sent_tags(sender)


def test_an_immediate_requests_card_passes_older_advice_cards_in_the_same_chat(db, clock):
    advice = [(f"A{i}", 100 + i, NORMAL) for i in range(1, 19)]
    order = drained(db, clock, [*advice, ("U1", 200, URGENT)])
    assert order[0] == "U1"
    assert order[1:] == [tag for tag, _, _ in advice]  # the rest, still in decided order


def test_a_consultations_notices_keep_their_order_and_the_others_go_oldest_first(db, clock):
    plan = [
        ("A1", 1, NORMAL),
        ("B1", 2, NORMAL),
        ("N1", None, NORMAL),  # about no consultation
        ("U1", 3, URGENT),  # an immediate request's card...
        ("U2", 3, NORMAL),  # ...and what follows it (its edit): never before it
        ("A2", 1, NORMAL),
        ("N2", None, URGENT),  # the group of no consultation, now urgent: N1 goes first
    ]
    order = drained(db, clock, plan)
    # the urgent case passes N1 (more urgent than it), U2 never before U1; a notice about no
    # consultation never passes an older one (N1 after A1 and B1, N2 last though urgent)
    assert order == ["U1", "A1", "B1", "N1", "U2", "A2", "N2"]


def test_an_immediate_card_passes_an_older_digest_but_not_an_urgent_line_about_a_case(db, clock):
    """A supervisor's report or digest (no consultation, normal) is passed by an immediate
    request's card; an accept's line to the officer (no consultation, urgent) is not passed
    by the worker's first urgent line."""
    plan = [("D1", None, NORMAL), ("U1", 1, URGENT), ("K1", None, URGENT), ("U2", 2, URGENT)]
    assert drained(db, clock, plan) == ["U1", "D1", "K1", "U2"]


def test_an_urgent_line_about_a_case_unnamed_does_not_pass_the_lines_before_it(db, clock):
    """A hand-over's line to the officer ("C-0001 is now with Y", urgent, no consultation
    id: the id routes replies) must not pass X's relayed lines queued before it: the officer
    would read X's words after being told the case moved. Nor may a later line pass it."""
    plan = [
        ("L1", 1, NORMAL),
        ("L2", 1, NORMAL),
        ("H1", None, URGENT),  # handover.officer
        ("L3", 1, URGENT),  # the new holder's first line
        ("B1", 2, URGENT),  # another case, decided after the hand-over's line
    ]
    assert drained(db, clock, plan) == ["L1", "L2", "H1", "L3", "B1"]


def test_a_case_raised_to_immediate_pulls_its_whole_queue_forward_in_order(db, clock):
    plan = [
        ("B1", 2, NORMAL),
        ("R1", 1, NORMAL),
        ("R2", 1, NORMAL),
        ("R3", 1, URGENT),  # urgency raised after its first lines
        ("B2", 2, NORMAL),
    ]
    assert drained(db, clock, plan) == ["R1", "R2", "R3", "B1", "B2"]


class SlowSender(FakeSender):
    """Holds its first send until released, as a chat paced by Telegram's limits does."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def text(self, chat_id: int, text: str, **kw: Any) -> list[int]:
        self.sending.set()
        await self.release.wait()
        return await super().text(chat_id, text, **kw)


def test_an_urgent_notice_arriving_while_a_chat_drains_goes_next(db, clock):
    async def scenario() -> list[str]:
        sender = SlowSender()
        out = dispatcher(db, clock, sender)
        out.post(committed(db, clock, [("A1", 1, NORMAL), ("A2", 1, NORMAL), ("A3", 1, NORMAL)]))
        await asyncio.wait_for(sender.sending.wait(), 5.0)  # A1 on its way
        out.post(committed(db, clock, [("U1", 2, URGENT)]))
        sender.release.set()
        assert await out.until_idle(5.0)
        return sent_tags(sender)

    assert asyncio.run(scenario()) == ["A1", "U1", "A2", "A3"]


def notice(notice_id: int, consultation_id: int | None, priority: Priority) -> Notice:
    return Notice(
        notice_id, CHAT, None, "fr", NoticeKind.SAY, {}, int(priority), None, consultation_id
    )


def card(notice_id: int, consultation_id: int, priority: Priority, edit: int | None) -> Notice:
    """An offer card (edit None) or its rewrite: they name their consultation only in their
    parameters, as flows/offers.py writes them."""
    shown = ConsultationView(
        consultation_id, f"C-{consultation_id:04d}", ConsultationState.WAITING, None, None, "",
        None, None, None, datetime(2025, 1, 1), None, None, None, 0,  # type: ignore[arg-type]
    )  # fmt: skip
    kind = NoticeKind.OFFER_CARD if edit is None else NoticeKind.CARD
    return Notice(
        notice_id, CHAT, None, "fr", kind, {"consultation": shown}, int(priority), edit, None
    )


def test_offer_cards_and_their_rewrites_are_grouped_by_the_consultation_they_show():
    queue = ChatQueue()
    queue.add(card(1, 10, NORMAL, None))  # an advice card
    queue.add(notice(2, None, NORMAL))  # about no consultation
    queue.add(card(3, 10, NORMAL, edit=555))  # its rewrite: never before it
    queue.add(card(4, 11, URGENT, None))  # an immediate request's card
    assert [queue.pop().id for _ in range(4)] == [4, 1, 2, 3]  # 2 is passed by the urgent card only


def test_the_queue_keeps_decided_order_in_a_group_even_when_a_notice_comes_late():
    queue = ChatQueue()
    for n in (notice(5, 1, NORMAL), notice(9, 1, NORMAL), notice(7, 1, NORMAL)):
        queue.add(n)  # 7 read late from the outbox (a timed pass's), after 9 was posted
    queue.add(notice(6, 2, NORMAL))
    assert queue.most_urgent() == NORMAL and len(queue) == 4
    assert [queue.pop().id for _ in range(4)] == [5, 6, 7, 9]
    assert not queue


def test_picking_from_a_queue_of_hundreds_stays_cheap():
    queue = ChatQueue()
    for i in range(2000):
        queue.add(notice(i + 1, i % 50, NORMAL))
    queue.add(notice(5000, 77, URGENT))
    assert queue.most_urgent() == URGENT
    assert queue.pop().id == 5000
    assert [queue.pop().id for _ in range(3)] == [1, 2, 3]
