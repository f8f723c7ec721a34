"""Matches over time: per-day counts from an engine, binned for reading.

Engines answer with the days that hold matches and how many (sparse, sorted);
this module is the one place that decides how they are shown:

- ``unit_for`` picks the bin from the span: days up to two months, ISO weeks
  (Monday to Sunday) up to ~14 months, months up to ~5 years, then years, so a
  chart holds at most ``MAX_BARS`` bars and never a single sliver;
- ``binned`` sums the days into those periods, empty periods included, so gaps
  show as gaps;
- ``with_share`` adds, per period, how many articles of the whole archive fall in
  it, so a story's rise can be read apart from a bigger archive (Media Cloud's
  "normalised" attention view).

Period keys are ``YYYY-MM-DD`` (day), ``YYYY-Www`` (ISO week), ``YYYY-MM``
(month) and ``YYYY`` (year); ``bounds`` turns any of them into its first and
last day.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

UNITS = ("day", "week", "month", "year")
MAX_BARS = 62  # the most bars one chart shows (a day chart spans up to 62 days)

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Period:
    """One bar: its key, first and last day, matches, and (share view) all articles."""

    key: str
    start: date
    end: date
    count: int
    all: int | None = None

    @property
    def share(self) -> float | None:
        """Matches as a fraction of all articles of the period (None: not asked, or none)."""
        return self.count / self.all if self.all else None

    def to_json(self) -> dict:
        out = {"period": self.key, "count": self.count}
        if self.all is not None:
            out["all"] = self.all
            out["share"] = round(self.share, 6) if self.share is not None else None
        return out


@dataclass(frozen=True)
class Timeline:
    unit: str
    periods: list[Period]

    @property
    def peak(self) -> int:
        return max((p.count for p in self.periods), default=0)

    def to_json(self) -> list[dict]:
        return [p.to_json() for p in self.periods]


def unit_for(first: date, last: date) -> str:
    """The finest bin that shows ``first``..``last`` in at most ``MAX_BARS`` bars."""
    days = (last - first).days + 1
    if days <= MAX_BARS:
        return "day"
    if _week_index(last) - _week_index(first) + 1 <= MAX_BARS:
        return "week"
    if _month_index(last) - _month_index(first) + 1 <= MAX_BARS:
        return "month"
    return "year"


def key_of(day: date, unit: str) -> str:
    """The key of the ``unit`` period holding ``day``."""
    if unit == "day":
        return day.isoformat()
    if unit == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if unit == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if unit == "year":
        return f"{day.year:04d}"
    raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")


def bounds(key: str) -> tuple[date, date]:
    """First and last day of a period key ("2024", "2024-09", "2024-W39", "2024-09-24")."""
    week = _WEEK.fullmatch(key)
    if week:
        monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        return monday, monday + timedelta(days=6)
    parts = [int(p) for p in key.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        y, m = parts
        return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    day = date(*parts)
    return day, day


def label(key: str) -> str:
    """"1987", "Sep 2024", "Week of 23 Sep 2024" or "24 Sep 2024"."""
    start, _ = bounds(key)
    if _WEEK.fullmatch(key):
        return f"Week of {start.day} {start:%b %Y}"
    if key.count("-") == 0:
        return key
    if key.count("-") == 1:
        return f"{start:%b %Y}"
    return f"{start.day} {start:%b %Y}"


def _parsed(days) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] days, counts) of the days holding any, from an engine's
    ``DayCounts`` as they are, or from (ISO day, count) pairs."""
    if hasattr(days, "days") and hasattr(days, "counts"):
        keep = days.counts > 0
        return days.days[keep], days.counts[keep]
    pairs = [(d, n) for d, n in days if n]
    if not pairs:
        return np.zeros(0, dtype="datetime64[D]"), np.zeros(0, dtype=np.int64)
    keys, counts = zip(*pairs)
    return np.array(keys, dtype="datetime64[D]"), np.array(counts, dtype=np.int64)


def _starts(days: np.ndarray, unit: str) -> np.ndarray:
    """The first day of the ``unit`` period holding each day."""
    if unit == "day":
        return days
    if unit == "week":  # 1970-01-01 was a Thursday: Monday is 3 days before it
        return days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
    if unit == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    if unit == "year":
        return days.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")


def _day(value: np.datetime64) -> date:
    return date.fromisoformat(str(value))


def binned(days: Iterable[tuple[str, int]], unit: str | None = None) -> Timeline:
    """``days`` (ISO day, count) summed into ``unit`` periods (chosen from the span when
    None), from the first to the last period holding any, empty periods included."""
    when, counts = _parsed(days)
    if not len(when):
        return Timeline(unit or "day", [])
    unit = unit or unit_for(_day(when.min()), _day(when.max()))
    starts, where = np.unique(_starts(when, unit), return_inverse=True)
    totals = np.bincount(where.ravel(), weights=counts, minlength=len(starts))
    sums = {_day(s): int(n) for s, n in zip(starts, totals)}
    periods, start, last = [], _day(starts[0]), _day(starts[-1])
    while start <= last:
        k = key_of(start, unit)
        first, end = bounds(k)
        periods.append(Period(k, first, end, sums.get(first, 0)))
        start = end + timedelta(days=1)
    return Timeline(unit, periods)


def with_share(timeline: Timeline, all_days: Iterable[tuple[str, int]]) -> Timeline:
    """``timeline`` with each period's count of all articles (``all_days``, per day)."""
    when, counts = _parsed(all_days)
    per_start: dict[date, int] = {}
    if len(when) and timeline.periods:
        low = np.datetime64(timeline.periods[0].start.isoformat())
        high = np.datetime64(timeline.periods[-1].end.isoformat())
        inside = (when >= low) & (when <= high)
        starts, where = np.unique(_starts(when[inside], timeline.unit), return_inverse=True)
        totals = np.bincount(where.ravel(), weights=counts[inside], minlength=len(starts))
        per_start = {_day(s): int(n) for s, n in zip(starts, totals)}
    return Timeline(timeline.unit, [Period(p.key, p.start, p.end, p.count,
                                           per_start.get(p.start, 0))
                                    for p in timeline.periods])


def ticks(timeline: Timeline, most: int = 6) -> list[tuple[int, str]]:
    """Up to ``most`` (bar index, short label) pairs for the time axis, evenly spread,
    the first and last bar always among them."""
    n = len(timeline.periods)
    if not n:
        return []
    if n <= most:
        chosen = range(n)
    else:
        chosen = sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})
    return [(i, short_label(timeline.periods[i].key)) for i in chosen]


def short_label(key: str) -> str:
    """An axis label: "1987", "Sep 1987", "2 Mar" (a week's Monday, a day)."""
    start, _ = bounds(key)
    if _WEEK.fullmatch(key) or key.count("-") == 2:
        return f"{start.day} {start:%b}"
    if key.count("-") == 1:
        return f"{start:%b %Y}"
    return key


def _week_index(day: date) -> int:
    return (day - date(1, 1, 1)).days // 7  # 0001-01-01 was a Monday


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1
