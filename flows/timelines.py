"""A consultation's timeline as its readers may see it: the events (after access.py says who
may read them) and the marks a reader must not miss, first of all the fallback reached with no
intervener in time: the situation of the second paragraph of article 8 of P-38.001 (failing an
intervener available in time, a parent or a close person may ask the officer, who then needs
serious grounds), stated with its times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flows import access
from flows.events import TimelineEntry, entries_in
from flows.models import Person
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import EventKind, NoticeKind

# Events that give the consultation an intervener (a holder), and the one that takes it away.
_HOLDER_FOUND = (
    EventKind.ACCEPTED,
    EventKind.TAKEN_OVER,
    EventKind.REASSIGNED,
    EventKind.TRANSFERRED,
)
_HOLDER_LOST = (EventKind.REQUEUED,)
_ASKED = (EventKind.SUBMITTED, EventKind.REQUEUED)


@dataclass(frozen=True)
class FallbackMark:
    """The fallback was given while nobody held the consultation: when it was asked for, when
    the fallback came, and when (if ever) an intervener took it afterwards."""

    requested_at: datetime
    fallback_at: datetime
    intervener_at: datetime | None

    def as_params(self) -> dict[str, Any]:
        return {
            "requested_at": self.requested_at,
            "fallback_at": self.fallback_at,
            "intervener_at": self.intervener_at,
        }


def fallback_mark(entries: list[TimelineEntry]) -> FallbackMark | None:
    """The first fallback reached with no intervener holding the consultation, or None."""
    held = False
    asked: datetime | None = None
    found: tuple[datetime, datetime] | None = None
    for e in entries:
        if e.kind in _ASKED:
            asked = e.at
        if e.kind in _HOLDER_LOST:
            held = False
        if e.kind in _HOLDER_FOUND:
            if found is not None:
                return FallbackMark(found[0], found[1], e.at)
            held = True
        if e.kind == EventKind.FALLBACK_GIVEN and not held and found is None:
            found = (asked or e.at, e.at)
    return FallbackMark(found[0], found[1], None) if found else None


@dataclass(frozen=True)
class Timeline:
    consultation: ConsultationView
    entries: list[TimelineEntry]
    fallback: FallbackMark | None


def read(unit: Unit, reader_id: int, consultation_id: int) -> Timeline:
    """A consultation and its timeline for one reader, or access.Refused."""
    _reader, c = access.readable(unit.session, reader_id, consultation_id)
    entries = entries_in(unit.session, c.id)
    return Timeline(view_in(unit.session, c), entries, fallback_mark(entries))


SHOWN_KEYS = ("category", "urgency", "outcome", "danger", "decision", "tier")  # no free text


def show(unit: Unit, reader_id: int, consultation_id: int, zone: ZoneInfo) -> Timeline | None:
    """/timeline C-0042: the reader gets the timeline (events, who, when; no message text),
    with the fallback mark; or one sentence saying they may not read it."""
    reader = unit.session.get_one(Person, reader_id)
    try:
        shown = read(unit, reader_id, consultation_id)
    except access.Refused:
        unit.outbox.say(reader, "access.refused")
        return None
    entries = [
        {
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "details": {k: e.data[k] for k in SHOWN_KEYS if e.data.get(k) is not None},
        }
        for e in shown.entries
    ]
    unit.outbox.notify(
        reader,
        NoticeKind.TIMELINE,  # a reading, not a message of the conversation: not linked
        consultation=shown.consultation,
        entries=entries,
        fallback=shown.fallback.as_params() if shown.fallback else None,
        zone=zone.key,
    )
    return shown
