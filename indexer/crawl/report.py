"""What the crawl did, from its frontier: counts per outcome and the failed URLs.

``newsdesk crawl --report`` prints :func:`format_report` of :func:`crawl_report`;
the frontier is ``crawl.sqlite`` or the shared Redis one (``--frontier``), which
holds every worker's outcomes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .frontier import open_frontier


@dataclass
class Failure:
    url: str
    outcome: str
    reason: str
    attempts: int
    state: str          # "retry" (will be tried again after next_try) or "failed"
    next_try: float = 0.0

    def to_json(self) -> dict:
        return {"url": self.url, "outcome": self.outcome, "reason": self.reason,
                "attempts": self.attempts, "state": self.state,
                "next_try": self.next_try or None}


@dataclass
class CrawlReport:
    states: dict[str, int] = field(default_factory=dict)      # queued/done/retry/failed/skipped
    outcomes: dict[str, int] = field(default_factory=dict)    # article, duplicate, robots, timeout…
    failures: list[Failure] = field(default_factory=list)     # everything not fetched fine

    def to_json(self) -> dict:
        return {"states": self.states, "outcomes": self.outcomes,
                "failures": [f.to_json() for f in self.failures]}


def crawl_report(db_path: Path, frontier_url: str = "") -> CrawlReport:
    with open_frontier(frontier_url, db_path) as frontier:
        failures = [Failure(r["url"], r["outcome"], r["reason"], r["attempts"], r["state"],
                            r["next_try"])
                    for r in frontier.not_fetched()]
        return CrawlReport(frontier.counts(), frontier.outcome_counts(), failures)


def format_report(report: CrawlReport, show: int = 50) -> str:
    s = report.states
    lines = [(f"{sum(s.values())} URLs: {s['done']} done, {s['queued']} queued, "
              f"{s['retry']} to retry, {s['failed']} failed, {s['skipped']} skipped"),
             "outcomes: " + ", ".join(f"{k} {v}" for k, v in report.outcomes.items())]
    if report.failures:
        lines.append(f"not fetched ({len(report.failures)}):")
        now = time.time()
        for f in report.failures[:show]:
            when = (f", retry in {max(0, f.next_try - now):.0f} s" if f.state == "retry" else "")
            lines.append(f"  {f.outcome:<14} {f.url}  {f.reason} "
                         f"({f.attempts} attempt{'s' * (f.attempts != 1)}{when})")
        if len(report.failures) > show:
            lines.append(f"  ... and {len(report.failures) - show} more")
    return "\n".join(lines)
