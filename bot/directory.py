"""The directory at the edge: opened once at start-up (a broken file stops start-up with its
report), and the short-lived memory the /resources conversation needs: saved searches for
"More", the location a person just shared, referrals waiting for a consultation choice.
Kept in process memory on purpose: nothing here is case data, and a restart only means
searching again."""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import CLI_LANGUAGE, t
from bot.render.resources import report_text
from bot.settings import ConfigError, Settings
from flows.directory import DirectoryError, DirectoryHolder, Query
from flows.store import Clock

log = logging.getLogger(__name__)

LOCATION_TTL = timedelta(hours=1)  # a location shared for /resources counts this long
RECENT_SEARCH = timedelta(minutes=10)  # a location shared this soon after /resources answers it
# (an officer's only when the bot asked for it: the category chooser says "share your location")
MAX_ITEMS = 2000


def open_directory(settings: Settings, clock: Clock) -> DirectoryHolder:
    """The configured directory, validated; ConfigError with the full report when broken.
    With the default path and no file, the bot runs with an empty directory (and says so)."""
    path = settings.directory_path
    holder = DirectoryHolder(path, settings.directory_stale_months)
    explicit = "directory_path" in settings.model_fields_set
    if not path.exists() and not explicit:
        log.warning("no directory file at %s: /resources will be empty", path)
        holder.changed()  # the file check knows it is absent: said once, here
        return holder
    today = clock().astimezone(settings.zone).date()
    try:
        report = holder.load(today)
    except DirectoryError as exc:
        raise ConfigError(
            t(CLI_LANGUAGE, "cli.directory.unusable_at_start", path=path,
              count=len(exc.report.errors), report=report_text(CLI_LANGUAGE, exc.report, 40))
        ) from None  # fmt: skip
    log.info(
        "directory loaded: %d entries, %d warning(s)",
        len(holder.current.resources),
        len(report.warnings),
    )
    return holder


@dataclass(frozen=True)
class SavedSearch:
    person_id: int
    query: Query


class Memory:
    """Bounded, in-process: the oldest items go first."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.searches: OrderedDict[int, SavedSearch] = OrderedDict()
        self.pending: OrderedDict[int, tuple[int, str]] = OrderedDict()  # token: worker, id
        self.locations: dict[int, tuple[float, float, datetime]] = {}
        self.searched_at: dict[int, tuple[datetime, Query, bool]] = {}  # at, query, asked

    def save(self, person_id: int, query: Query) -> int:
        key = next(self._ids) % 1_000_000_000
        self.searches[key] = SavedSearch(person_id, query)
        _trim(self.searches)
        return key

    def search(self, key: int, person_id: int) -> SavedSearch | None:
        found = self.searches.get(key)
        return found if found is not None and found.person_id == person_id else None

    def hold_referral(self, worker_id: int, resource_id: str) -> int:
        key = next(self._ids) % 1_000_000_000
        self.pending[key] = (worker_id, resource_id)
        _trim(self.pending)
        return key

    def referral(self, key: int, worker_id: int) -> str | None:
        found = self.pending.get(key)
        return found[1] if found is not None and found[0] == worker_id else None

    def remember_location(self, person_id: int, lat: float, lon: float, at: datetime) -> None:
        self.locations[person_id] = (lat, lon, at)

    def location(self, person_id: int, now: datetime) -> tuple[float, float] | None:
        """The person's location shared for /resources, if recent enough. (A consultation's
        own scene is the location shared in it, recorded with its messages.)"""
        found = self.locations.get(person_id)
        if found is None or now - found[2] > LOCATION_TTL:
            return None
        return found[0], found[1]

    def searched(self, person_id: int, query: Query, at: datetime, asked: bool = False) -> None:
        """The person's latest search; asked: its page followed the bot's own request for a
        location (the category chooser's "share your location")."""
        self.searched_at[person_id] = (at, query, asked)

    def recent_search(
        self, person_id: int, now: datetime, asked_only: bool = False
    ) -> Query | None:
        """The search a location shared now answers: recent, and asked for when asked_only."""
        found = self.searched_at.get(person_id)
        if found is None or now - found[0] > RECENT_SEARCH or (asked_only and not found[2]):
            return None
        return found[1]

    def asked(self, person_id: int, now: datetime) -> bool:
        """The person's recent search still waits for the location the bot asked for."""
        return self.recent_search(person_id, now, asked_only=True) is not None


def _trim(items: OrderedDict) -> None:  # type: ignore[type-arg]
    while len(items) > MAX_ITEMS:
        items.popitem(last=False)


memory = Memory()
