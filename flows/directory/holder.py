"""The directory the bot is using now. A reload that fails keeps the last good directory (a
file that lists no services fails: loader.py); a cheap change check (modification time and
size, then the content's hash) lets a timer pick up an edited file without a restart."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flows.directory.loader import DirectoryError, load_path
from flows.directory.model import Directory, Report


@dataclass(frozen=True)
class Reload:
    """What a reload did: applied (the new directory is in use) or kept the old one."""

    applied: bool
    report: Report
    count: int


class DirectoryHolder:
    def __init__(self, path: Path, stale_months: int = 12) -> None:
        self.path = path
        self.stale_months = stale_months
        self.current = Directory()
        self.report = Report()
        self._stamp: tuple[float, int] | None = None
        self.readable = True  # as the last change check found the file
        self._lock = threading.Lock()

    def load(self, today: date) -> Report:
        """First load: raise DirectoryError with the full report when the file is broken."""
        result = self.reload(today)
        if not result.applied:
            raise DirectoryError(self.path, result.report)
        return result.report

    def reload(self, today: date) -> Reload:
        """Read the file again; on errors keep the directory in use."""
        with self._lock:
            stamp = self._stat()
            directory, report = load_path(self.path, today, self.stale_months)
            if not report.ok:
                self._stamp = stamp  # do not retry the same broken file on every check
                return Reload(False, report, len(self.current.resources))
            self.current = directory
            self.report = report
            self._stamp = stamp
            return Reload(True, report, len(directory.resources))

    def changed(self) -> bool:
        """The file differs from what was last read (stat first, then content hash). A file
        that cannot be read has not changed (the directory in use stays): readable says so."""
        stamp = self._stat()
        self.readable = stamp is not None
        if stamp == self._stamp or stamp is None:
            return False
        try:
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            self.readable = False
            return False
        if digest == self.current.digest:
            self._stamp = stamp
            return False
        return True

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime, st.st_size)
