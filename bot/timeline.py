"""A consultation's timeline for a reader (`relais consultations show` and the demo): local
times, event labels, names for people, labels for codes, no Telegram message ids."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import CLI_LANGUAGE, t
from bot.render.assessments import fallback_line
from flows import events, people, timelines
from flows.models import EVENT_PERSON_KEYS
from flows.store import Database
from flows.vocabulary import EventKind


def timeline_lines(
    db: Database, consultation_id: int, zone: ZoneInfo, names: dict[int, str] | None = None
) -> list[str]:
    """A consultation's timeline as a reader wants it (also printed by the demo): local
    times, event labels, names for people, labels for codes, no Telegram message ids."""
    if names is None:
        names = {p.id: p.display_name for p in people.list_people(db)}
    lines = []
    entries = events.timeline(db, consultation_id)
    mark = timelines.fallback_mark(entries)
    for entry in entries:
        kind = t(CLI_LANGUAGE, f"event.{entry.kind.value}")
        actor = entry.actor or "system"
        lines.append(
            f"  {entry.at.astimezone(zone):%Y-%m-%d %H:%M:%S}  {kind:<28} {actor:<20} "
            f"{_event_details(entry, names, zone)}"
        )
        if (
            mark is not None
            and entry.at == mark.fallback_at
            and entry.kind == EventKind.FALLBACK_GIVEN
        ):
            lines.append("  " + fallback_line(CLI_LANGUAGE, mark.as_params(), zone))
            mark = None  # said once
    return lines


def person_label(person_id: object, names: dict[int, str]) -> str:
    """'Marie Roy (#4)': the name a reader knows, the id the other commands take."""
    if isinstance(person_id, int) and person_id in names:
        return f"{names[person_id]} (#{person_id})"
    return f"#{person_id}"


TELEGRAM_KEYS = ("chat_id", "message_id")  # where the message was: meaningless to a reader


def _event_details(entry: events.TimelineEntry, names: dict[int, str], zone: ZoneInfo) -> str:
    """An event's data for a reader: names for person ids, labels for codes, local times."""
    parts = []
    for key, value in entry.data.items():
        if value is None or key in TELEGRAM_KEYS:
            continue
        if key in EVENT_PERSON_KEYS:
            ids = value if isinstance(value, list) else [value]
            parts.append(
                f"{key.removesuffix('_id')}: {', '.join(person_label(i, names) for i in ids)}"
            )
        elif key in ("category", "urgency", "danger", "decision") or (
            key == "outcome" and entry.kind == EventKind.OUTCOME_RECORDED
        ):
            parts.append(f"{key}: {t(CLI_LANGUAGE, f'{key}.{value}')}")
        elif key.endswith("_at") and isinstance(value, str):
            when = datetime.fromisoformat(value).astimezone(zone)
            parts.append(f"{key.removesuffix('_at')}: {when:%Y-%m-%d %H:%M}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)
