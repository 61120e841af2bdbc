"""What KIS's chk_holiday said, kept so a process (and, with a file, every process sharing the
cache folder) asks it about once a day, as KIS requests ("가급적 1일 1회 호출")."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .secret import get_logger

log = get_logger("calendar")


class KisDays:
    """day -> (market open, the Korean date KIS was asked). An answer counts on the day it was
    fetched, and for good for days already past when it was fetched."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._days: dict[date, tuple[bool, date]] = {}
        self._asked: dict[date, date] = {}  # start day -> when chk_holiday was asked from it
        self._mtime: float | None = None
        self._lock = threading.Lock()
        self._read()

    def __len__(self) -> int:
        return len(self._days)

    def get(self, day: date, today: date) -> bool | None:
        entry = self._days.get(day)
        if entry is None or not _valid(day, entry[1], today):
            self._read()  # another process may have asked since
            entry = self._days.get(day)
        if entry is None or not _valid(day, entry[1], today):
            return None
        return entry[0]

    def asked_today(self, start: date, today: date) -> bool:
        return self._asked.get(start) == today

    def put(
        self, days: Iterable[tuple[date, bool]], today: date, start: date | None = None
    ) -> None:
        with self._lock:
            for day, open_ in days:
                self._days[day] = (open_, today)
            if start is not None:
                self._asked[start] = today
            self._write()

    def _read(self) -> None:
        path = self.path
        if path is None:
            return
        try:
            mtime = path.stat().st_mtime
            if mtime == self._mtime:
                return
            data = json.loads(path.read_text(encoding="utf-8"))
            days = {
                date.fromisoformat(k): (bool(v[0]), date.fromisoformat(v[1]))
                for k, v in data["days"].items()
            }
            asked = {date.fromisoformat(k): date.fromisoformat(v) for k, v in data["asked"].items()}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("calendar: ignoring unreadable %s (%s)", path.name, type(exc).__name__)
            return
        with self._lock:
            for day, entry in days.items():
                if day not in self._days or self._days[day][1] < entry[1]:
                    self._days[day] = entry
            for start, when in asked.items():
                self._asked[start] = max(when, self._asked.get(start, when))
            self._mtime = mtime

    def _write(self) -> None:
        path = self.path
        if path is None:
            return
        data = {
            "days": {
                k.isoformat(): [v[0], v[1].isoformat()] for k, v in sorted(self._days.items())
            },
            "asked": {k.isoformat(): v.isoformat() for k, v in sorted(self._asked.items())},
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, path)
            self._mtime = path.stat().st_mtime
        except OSError as exc:
            log.warning("calendar: could not save %s (%s)", path.name, type(exc).__name__)


def _valid(day: date, asked_on: date, today: date) -> bool:
    return asked_on == today or day < asked_on


_shared: dict[Path, KisDays] = {}
_shared_lock = threading.Lock()


def shared_days(path: Path) -> KisDays:
    """One store per file in this process."""
    with _shared_lock:
        store = _shared.get(path)
        if store is None:
            store = _shared[path] = KisDays(path)
        return store
