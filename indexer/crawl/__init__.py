"""The crawler: feeds, sitemaps and start pages -> Articles in the store.

Library calls (the CLI's ``crawl``, ``crawl --report`` and ``normalize`` wrap them)::

    crawl(data, config, progress=print)   # fetch, normalize, store; resumable
    report(data, frontier="")             # counts per outcome, failed URLs with reasons
    normalize_stored(data)                # stored WARCs -> store again, no fetching

Modules, one job each: ``config`` (sources and limits), ``urls`` (URL
normalization), ``frontier`` (crawl.sqlite: queue, outcomes, validators, body
hashes), ``redis_frontier`` (the same, shared by many workers: leases, one
seen-set, one per-host delay), ``listings`` (feed and sitemap links), ``politeness`` (Crawl-delay +
AutoThrottle), ``spider`` (the Scrapy spider), ``ingest`` (HTML -> Article ->
entities -> store), ``warc`` (raw responses), ``report`` (the summary),
``runner`` (the worker process).  This package is the only place that
imports Scrapy; like the importers it produces Articles and knows nothing of
the index (``newsdesk index`` makes crawled articles searchable).

Why Scrapy, run in a worker process
-----------------------------------
Scrapy already does the polite, robust fetching a news crawler needs:
robots.txt (Protego), per-host delay and concurrency, AutoThrottle, timeouts,
a maximum response size, bounded redirects, offsite filtering, retries, and
sitemap parsing.  We add what it lacks: robots.txt Crawl-delay as a floor, a
frontier in SQLite that survives a kill, conditional requests from stored
validators, content-hash duplicates and WARC output.

The crawl runs in a child process (``python -m indexer.crawl.runner``)
rather than in the caller's: Twisted's reactor cannot be restarted in one
process, so an in-process ``CrawlerProcess`` could crawl once per Python
process (tests, scripts and a long-lived caller crawl many times); Scrapy
installs signal handlers, logging and its reactor, which should not leak into
the CLI or a web app; and a crawl killed hard (SIGKILL, OOM) takes only the
worker down, leaving a frontier that the next run resumes.  The parent reads
the worker's one-line JSON progress from its stdout and returns cleanly when
it exits; the worker exits when its parent disappears.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

from ..config import DataDir
from ..errors import NewsdeskError
from ..importers import ImportReport
from ..store import Store
from .config import CrawlConfig, Source, load_sources
from .report import CrawlReport, crawl_report, format_report

__all__ = ["CrawlConfig", "CrawlReport", "Source", "crawl", "format_report", "load_sources",
           "normalize_stored", "report"]


QUIET_PROGRESS_SECONDS = 5.0


def crawl(data: DataDir, config: CrawlConfig, *,
          progress: Callable[[dict], None] | None = None,
          progress_every: float = 0.0) -> CrawlReport:
    """Crawl ``config``'s sources into ``data`` (in a worker process); return the report.

    ``progress`` gets ``{"fetched", "failed", "queued", "rate", "final"}`` about once a
    second, or at most every ``progress_every`` seconds (the first one too), and always
    the final one: a log or a pipe wants a line every few seconds, not one per second.
    Raises NewsdeskError if the worker fails.
    """
    last = time.monotonic()  # the first line after progress_every seconds, too
    config.validate()
    data.ensure()
    if config.frontier:   # unreachable: say so here, before a worker starts
        from .frontier import open_frontier
        open_frontier(config.frontier, data.crawl_db).close()
    cmd = [sys.executable, "-m", "indexer.crawl.runner", str(data.root),
           json.dumps(config.to_json())]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as worker:
        for line in worker.stdout:
            try:
                update = json.loads(line)
            except json.JSONDecodeError:
                continue
            now = time.monotonic()
            if progress and (update.get("final") or now - last >= progress_every):
                last = now
                progress(update)
        code = worker.wait()
    if code != 0:
        raise NewsdeskError(f"the crawl worker stopped with exit code {code}; "
                            f"run again to resume (set NEWSDESK_CRAWL_LOG=INFO for details)")
    return report(data, config.frontier)


def report(data: DataDir, frontier: str = "") -> CrawlReport:
    """Counts per outcome and the URLs not fetched, with reasons, from the frontier.

    ``frontier`` "" is ``DATA/crawl.sqlite``; a ``redis://`` URL the shared frontier,
    whose fetch log holds every worker's outcomes.
    """
    if not frontier and not data.crawl_db.exists():
        raise NewsdeskError(f"no crawl yet: {data.crawl_db} does not exist")
    return crawl_report(data.crawl_db, frontier)


def normalize_stored(data: DataDir, *, progress: Callable[[int], None] | None = None) -> ImportReport:
    """Re-process every stored WARC response into the store, without crawling."""
    from .ingest import normalize_raw
    if not data.raw_dir.exists():
        raise NewsdeskError(f"no raw pages: {data.raw_dir} does not exist (crawl first)")
    with Store(data.ensure().store_path) as store:
        return normalize_raw(data.raw_dir, store, progress=progress)
