"""The Scrapy spider: takes URLs from the frontier, records every outcome in it.

One spider for feeds, sitemaps and start pages.  Requests come from
:class:`~indexer.crawl.frontier.Frontier` (seeds first, then queued pages,
then retries whose backoff has passed); each response or failure is written
back at once, so a killed crawl resumes where it stopped.  HTML pages go
through :mod:`indexer.crawl.ingest` into the store and their raw responses
into a WARC file.  Scrapy does the politeness work: robots.txt, per-host
delay and concurrency, AutoThrottle (see :mod:`.politeness`), timeouts,
maximum size, bounded redirects, offsite filtering, immediate retries.

Every request passes :class:`UrlGuard` first and every connection
:class:`GuardedResolver` (the policy is :mod:`.guard`): the crawler connects
only to allowed domains at public addresses, or at addresses the user
allowed; a response's final URL and peer address are checked again before it
is stored.

The frontier is :func:`~indexer.crawl.frontier.open_frontier`'s: ``crawl.sqlite``
for one worker, or a shared Redis one (``--frontier redis://…``) for many.
With a shared frontier (``frontier.shared``) URLs come only from
``frontier.due()``, leased to this worker and renewed every second; links a
page names go to the shared queue for any worker, and each request waits for
the host's turn among all workers (:class:`SharedDelayHandler`) on top of
Scrapy's per-process delay.  Everything else -- the guard, robots.txt, the
limits, the outcomes -- is the same code either way.

Two additions: the sitemaps a source host's robots.txt lists (``Sitemap:``
lines) are queued like configured ones (``CrawlConfig.robots_sitemaps``), and
:class:`RedirectDedupe` drops a redirect whose target is already scheduled or
known, so a URL and a redirect to it in flight together fetch it once.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    DontCloseSpider,
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    StopDownload,
)
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer, task
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeout
from twisted.internet.threads import deferToThread

from ..config import DataDir
from ..normalize import normalize
from ..store import Store
from .config import CrawlConfig
from .frontier import Entry, FrontierError, body_hash, open_frontier
from .guard import UrlPolicy, parse_networks
from .ingest import is_html, store_page, warm_up
from .listings import feed_links, sitemap_links
from .urls import in_domains, normalize_url
from .warc import WarcLog

XML_TYPES = ("xml", "rss", "atom", "text/plain", "gzip", "octet-stream")
PRIORITY = {"sitemap": 30, "feed": 30, "start": 20, "page": 0}


def settings_for(config: CrawlConfig) -> dict:
    """Scrapy settings from the crawl config: the politeness and limit knobs in one place."""
    return {
        "BOT_NAME": "newsdesk",
        "USER_AGENT": config.agent,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": "newsdesk",
        "DOWNLOAD_DELAY": config.delay,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.concurrency_per_host,
        "DOWNLOAD_TIMEOUT": config.timeout,
        "DOWNLOAD_MAXSIZE": config.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": config.max_redirects,
        "RETRY_TIMES": config.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "AUTOTHROTTLE_ENABLED": False,           # replaced by Politeness, which keeps Crawl-delay
        "NEWSDESK_AUTOTHROTTLE": config.autothrottle,
        "AUTOTHROTTLE_START_DELAY": config.delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, config.delay),
        "EXTENSIONS": {"indexer.crawl.politeness.Politeness": 0},
        "DOWNLOADER_MIDDLEWARES": {"indexer.crawl.spider.UrlGuard": 10,
                                   "indexer.crawl.spider.RedirectDedupe": 590},
        "DNS_RESOLVER": "indexer.crawl.spider.GuardedResolver",
        "NEWSDESK_ALLOWED_DOMAINS": config.domains(),
        "NEWSDESK_ALLOW_ADDRESSES": list(config.allow_addresses),
        # only http(s): no file://, ftp://, s3:// or data: however a page links or redirects
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,          # an HTTP endpoint that runs code: never
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": os.environ.get("NEWSDESK_CRAWL_LOG", "ERROR"),
        # a shared frontier: each request also waits for its host's turn among all workers
        **({"DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None,
                                  "http": "indexer.crawl.spider.SharedDelayHandler",
                                  "https": "indexer.crawl.spider.SharedDelayHandler"}}
           if config.frontier else {}),
    }


def failure_reason(failure, request) -> tuple[str, str, int | None, bool]:
    """(outcome, reason, HTTP status, retryable) of a failed request."""
    exc = failure.value
    stop = request.meta.get("nd_stop")
    if stop:
        return stop[0], stop[1], None, False
    host = urlsplit(request.url).hostname or ""
    if host in GuardedResolver.refused and "DNS" in type(exc).__name__ + str(exc):
        return "refused", GuardedResolver.refused[host], None, False
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}", status, status >= 500 or status in (408, 429)
    if isinstance(exc, (DownloadTimeoutError, TwistedTimeout, TCPTimedOutError)):
        return "timeout", f"no answer within {request.meta.get('download_timeout', '?')} s", None, True
    if isinstance(exc, DownloadCancelledError) or "max size" in str(exc).lower():
        return "too_large", f"larger than {request.meta.get('download_maxsize', '?')} bytes", None, False
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "robots", "disallowed by robots.txt", None, False
        if "redirections" in text:
            return "redirect_loop", f"more than {request.meta.get('nd_max_redirects')} redirects", None, False
        if "offsite" in text.lower():
            return "offsite", f"redirected off the allowed domains ({request.url})", None, False
        return "ignored", text, None, False
    if isinstance(exc, StopDownload):
        return "error", "download stopped", None, False
    return "error", f"{type(exc).__name__}: {exc}"[:200], None, True


def policy_from_settings(settings) -> UrlPolicy:
    return UrlPolicy(tuple(settings.getlist("NEWSDESK_ALLOWED_DOMAINS")),
                     parse_networks(settings.getlist("NEWSDESK_ALLOW_ADDRESSES")))


class UrlGuard:
    """Downloader middleware, first in the chain: refuse a request before any connection.

    Redirect and meta-refresh hops come back through the scheduler as new
    requests, and robots.txt requests go through the downloader as well, so
    every one of them passes here (``dont_filter`` does not skip it).  Host
    names are resolved in a thread, never on the reactor.  A refused request
    fails with ``IgnoreRequest``; ``meta["nd_stop"]`` carries the outcome
    ``refused`` and the reason to the fetch log.
    """

    def __init__(self, crawler):
        self.policy = policy_from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        reason = self.policy.host_refusal(request.url)
        if not reason:
            reason = await maybe_deferred_to_future(deferToThread(self.policy.refusal, request.url))
        if not reason:
            return None
        if request.meta.get("redirect_urls"):
            reason = f"redirect to {request.url}: {reason}"
        request.meta["nd_stop"] = ("refused", reason)
        request.meta["nd_refused"] = request.url
        raise IgnoreRequest(f"refused: {reason}")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's DNS resolver, refusing the address a connection would actually use.

    :class:`UrlGuard` resolved the name a moment earlier; a name that answers
    differently now (DNS rebinding) is refused here, at connect time.
    """

    policy = UrlPolicy()
    refused: dict[str, str] = {}   # host -> reason, for the fetch log (Scrapy rewords the error)

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = policy_from_settings(crawler.settings)
        return resolver

    def getHostByName(self, name, timeout=()):
        def check(address):
            reason = self.policy.address_refusal(address)
            if reason:
                GuardedResolver.refused[name] = f"{name} resolves to {address}: {reason}"
                raise DNSLookupError(f"refused: {GuardedResolver.refused[name]}")
            return address
        return defer.maybeDeferred(super().getHostByName, name, timeout).addCallback(check)


class SharedDelayHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP(S) download handler, first waiting for the host's turn among all workers.

    Used with a shared frontier only.  Scrapy's download slot spaces one process's
    requests to a host; across workers the frontier keeps each host's next allowed
    time (:meth:`~indexer.crawl.redis_frontier.RedisFrontier.host_wait`).  The host is
    taken here, after Scrapy's slot let the request go and right before it is sent
    (so nothing in between can hold it back), and only once its time has come: a
    worker that wakes late makes the gap longer, never shorter.  The delay is the
    larger of ``--delay`` and the slot's (robots.txt Crawl-delay, AutoThrottle).
    """

    async def download_request(self, request):
        spider = self._crawler.spider
        if isinstance(spider, NewsSpider):
            downloader = self._crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            delay = max(spider.config.delay, slot.delay if slot is not None else 0.0)
            host = urlparse_cached(request).hostname or ""
            while (wait := spider.frontier.host_wait(host, delay)) > 0:
                from twisted.internet import reactor
                await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return await super().download_request(request)


class RedirectDedupe:
    """Drop a redirect whose target the crawl already knows, before it is fetched.

    Scrapy follows a redirect with a new request that no duplicate filter sees (our
    requests are ``dont_filter``), so a URL and a redirect to it, in flight together
    (a sitemap listing both), fetched the target twice.  Each redirect hop passes
    through here: a target already scheduled in this run or in the frontier is not
    fetched again (the redirecting URL is recorded as ``redirected`` to it); a new target
    is claimed, so that nothing else schedules it while the redirect is fetched.  Hops
    back into the chain are left to Scrapy, which reports the loop.  With a shared
    frontier the claim is a lease in it (no other worker fetches the target meanwhile),
    given back if the redirect fails or the target was only a hop (``meta["nd_claims"]``).
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = self.crawler.spider
        chain = request.meta.get("redirect_urls")
        origin = request.meta.get("nd_url")
        if not chain or not origin or not isinstance(spider, NewsSpider):
            return None
        target = normalize_url(request.url)
        if not target or target == origin or target in {normalize_url(u) for u in chain}:
            return None
        kind = request.meta.get("nd_kind", "page")
        if target in spider.scheduled or not spider.frontier.claim(target, kind):
            status = (request.meta.get("redirect_reasons") or [None])[0]
            spider.frontier.done(origin, "redirected", reason=f"to {target}",
                                 status=status if isinstance(status, int) else None,
                                 kind=kind)
            request.meta["nd_redirect_known"] = target
            raise IgnoreRequest(f"redirect to {target}, which is fetched already")
        spider.scheduled.add(target)
        request.meta.setdefault("nd_claims", []).append(target)
        return None


class NewsSpider(scrapy.Spider):
    """Feeds, sitemaps and start pages -> frontier -> pages -> store, WARC and fetch log."""

    name = "newsdesk"

    def __init__(self, config: dict, data_root: str, **kwargs):
        super().__init__(**kwargs)
        self.config = CrawlConfig.from_json(config)
        self.data = DataDir(Path(data_root)).ensure()
        self.allowed_domains = self.config.domains()
        self.policy = self.config.policy()
        # a worker holds no more URLs than it can soon send (two per host slot): the rest
        # of the queue stays free for the other workers
        self.frontier = open_frontier(self.config.frontier, self.data.crawl_db,
                                      lease=self.config.lease_seconds,
                                      window=max(2, 2 * self.config.concurrency_per_host))
        self.first = True                 # this worker started the run (seeds are revisited)
        self.store = Store(self.data.store_path)
        warm_up()
        self.warc = WarcLog(self.data.raw_dir)
        self.scheduled: set[str] = set()  # scheduled in this run: never scheduled twice
        self.pages_scheduled = 0
        self.fetched = 0
        self.failures = 0
        self.started = time.time()
        self._parent = os.getppid()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._headers, signal=signals.headers_received)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._robots, signal=signals.robots_parsed)
        return spider

    # -- scheduling -------------------------------------------------------------

    def _opened(self, spider) -> None:
        self._ticker = task.LoopingCall(self._tick)
        self._ticker.start(1.0, now=False)

    async def start(self):
        # the first worker of a run revisits the seeds; one joining a live crawl does not
        self.first = self.frontier.join()
        for source in self.config.sources:
            for kind, urls in (("sitemap", source.sitemaps), ("feed", source.feeds),
                               ("start", source.start_urls)):
                for url in urls:
                    if (key := normalize_url(url)):
                        self.frontier.seed(key, kind, revisit=self.first)
        if self.config.recrawl and self.first:
            self.frontier.requeue_done()
        for request in self._due():
            yield request

    def _robots(self, robotparser, request) -> None:
        """Queue the sitemaps a source host's robots.txt lists (``Sitemap:`` lines)."""
        if not self.config.robots_sitemaps or self.config.source_for(request.url) is None:
            return
        parser = getattr(robotparser, "rp", None)            # Protego
        try:
            sitemaps = list(getattr(parser, "sitemaps", None) or [])
        except Exception:  # a robots.txt Protego could not read: nothing listed
            return
        parts = urlsplit(request.url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        for link in sitemaps:
            url = normalize_url(link, robots_url)
            if not url or url in self.scheduled:
                continue
            if not in_domains(url, self.allowed_domains):
                self.frontier.skip(url, "sitemap", "offsite", "not on an allowed domain",
                                   found_from=robots_url)
                continue
            # like a configured sitemap: read again on every run (conditionally)
            self.frontier.seed(url, "sitemap", found_from=robots_url, revisit=self.first)
            if self.frontier.shared:      # leased from the queue like any URL
                self._pump()
                continue
            entry = self.frontier.get(url)
            if entry is not None and entry["state"] == "queued":
                req = self._request(Entry(url, "sitemap", 0, entry["etag"],
                                          entry["last_modified"], entry["attempts"]))
                if req is not None:
                    self.crawler.engine.crawl(req)

    def _due(self) -> list[scrapy.Request]:
        requests = []
        for entry in self.frontier.due(500, exclude=self.scheduled):
            request = self._request(entry)
            if request is not None:
                requests.append(request)
            else:                      # not this run (--max-pages): for another worker
                self.frontier.release(entry.url)
        return requests

    def _pump(self) -> None:
        """A shared frontier: take the URLs due now (leases) into the engine."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or slot.closing is not None:   # the spider is closing
            return
        for request in self._due():
            self.crawler.engine.crawl(request)

    def _request(self, entry: Entry) -> scrapy.Request | None:
        # with one worker, never twice in a run; a shared frontier's lease already says
        # nobody else has it, and a URL due again (a retry) is meant to be fetched again
        if entry.url in self.scheduled and not self.frontier.shared:
            return None
        if entry.kind in ("page", "start"):
            if self.config.max_pages and self.pages_scheduled >= self.config.max_pages:
                return None
            self.pages_scheduled += 1
        self.scheduled.add(entry.url)
        headers = {}
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return scrapy.Request(
            entry.url, callback=self.parse, errback=self.failed, headers=headers,
            dont_filter=True, priority=PRIORITY.get(entry.kind, 0),
            meta={"nd_url": entry.url, "nd_kind": entry.kind, "nd_depth": entry.depth,
                  "nd_max_redirects": self.config.max_redirects,
                  "download_maxsize": self.config.max_bytes,
                  "handle_httpstatus_list": [304]})

    def _idle(self, spider) -> None:
        try:
            requests = self._due()
            # another worker holds leases: they may lapse (it died) and come back here
            busy = not requests and self.frontier.busy_elsewhere()
        except FrontierError as exc:
            self._lost(exc)
        if not requests:
            if busy:
                raise DontCloseSpider
            return
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _discover(self, link: str, base: str, kind: str, depth: int, listed: bool):
        """Queue a link found on a page or in a listing; yield its request when new."""
        url = normalize_url(link, base)
        if not url:
            return
        if not in_domains(url, self.allowed_domains):
            if listed:  # a feed or sitemap named it as an article: worth reporting
                self.frontier.skip(url, kind, "offsite", "not on an allowed domain", found_from=base)
            return
        if kind == "page" and not self.config.is_article_url(url):
            return
        if depth > self.config.max_depth:
            return
        # a shared frontier queues it for whichever worker has room (see _pump)
        if self.frontier.add(url, kind, depth=depth, found_from=base) and not self.frontier.shared:
            request = self._request(Entry(url, kind, depth, "", "", 0))
            if request is not None:
                yield request

    # -- responses ----------------------------------------------------------------

    def _headers(self, headers, body_length, request, spider) -> None:
        """Drop a response by its headers: wrong content type, or declared too large."""
        kind = request.meta.get("nd_kind")
        if kind is None or b"Location" in headers:
            return
        ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        expected = XML_TYPES + ("html",) if kind in ("feed", "sitemap") else ("html", "xhtml")
        if ctype and not any(t in ctype for t in expected):
            request.meta["nd_stop"] = ("not_html", f"content type {ctype.split(';')[0]}")
            raise StopDownload(fail=True)

    def parse(self, response):
        url, kind, depth = (response.meta["nd_url"], response.meta["nd_kind"],
                            response.meta["nd_depth"])
        self.fetched += 1
        refusal = self.policy.host_refusal(response.url)
        if not refusal and response.ip_address is not None:
            refusal = self.policy.address_refusal(response.ip_address)
        if refusal:  # never stored, whatever led here
            self.failures += 1
            self.frontier.failed(url, "refused", f"{response.url}: {refusal}")
            return
        final = normalize_url(response.url) or url
        for target in response.meta.get("nd_claims", ()):
            if target != final:  # a hop between: claimed, not the page fetched
                self.frontier.release(target)
        if final != url:
            self.frontier.done(url, "redirected", reason=f"to {final}",
                               status=(response.meta.get("redirect_reasons") or [None])[0], kind=kind)
            known = self.frontier.get(final)
            if known is not None and known["state"] == "done":
                return  # the target was fetched already (e.g. from the sitemap)
            self.frontier.add(final, kind, depth=depth, found_from=url)
            self.scheduled.add(final)  # it is being handled now; never schedule it again
            url = final
        if response.status == 304:
            self.frontier.done(url, "unchanged", status=304, kind=kind)
            return
        source = self.config.source_for(url)
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values]
        self.warc.write(response.url, response.status, "OK", headers, response.body,
                        source=source.name if source else "")
        validators = {"etag": _header(response, b"ETag"),
                      "last_modified": _header(response, b"Last-Modified")}
        if kind in ("feed", "sitemap"):
            yield from self._listing(response, url, kind, depth, validators)
            return
        ctype = _header(response, b"Content-Type")
        if ctype and not is_html(ctype):
            self.frontier.failed(url, "not_html", f"content type {ctype.split(';')[0]}")
            return
        page = normalize(response.body, url=response.url, content_type=ctype)
        if page.is_article:
            digest = body_hash(page.body)
            twin = self.frontier.duplicate_of(digest, url)
            if twin:
                self.frontier.done(url, "duplicate", reason=f"same text as {twin}",
                                   status=response.status, digest=digest, kind=kind, **validators)
            else:
                article, _ = store_page(self.store, page, source=source.name if source else "")
                self.frontier.done(url, "article", status=response.status, digest=digest,
                                   article_id=article.id, kind=kind, **validators)
                canonical = normalize_url(page.url) if page.url else ""
                if canonical and canonical != url and in_domains(canonical, self.allowed_domains):
                    self.frontier.alias(canonical, f"canonical of {url}", depth=depth,
                                        found_from=url)
        else:
            self.frontier.done(url, "not_article", reason=page.not_article,
                               status=response.status, kind=kind, **validators)
        if kind == "start" or not page.is_article:
            for href in response.css("a::attr(href)").getall():
                yield from self._discover(href, response.url, "page", depth + 1, listed=False)

    def _listing(self, response, url, kind, depth, validators):
        if kind == "feed":
            kind_found, links = "page", feed_links(response.body)
        else:
            sort, links = sitemap_links(response.body)
            kind_found = "sitemap" if sort == "sitemapindex" else "page"
        self.frontier.done(url, "listed", reason=f"{len(links)} links", status=response.status,
                           kind=kind, **validators)
        for link in links:
            yield from self._discover(link, response.url, kind_found, depth + 1, listed=True)

    def failed(self, failure):
        request = failure.request
        for target in request.meta.get("nd_claims", ()):
            self.frontier.release(target)     # redirect targets taken, never fetched
        if request.meta.get("nd_redirect_known"):
            return  # a redirect to a URL fetched anyway: recorded by RedirectDedupe
        url = request.meta.get("nd_url") or normalize_url(request.url)
        self.failures += 1
        outcome, reason, status, retryable = failure_reason(failure, request)
        target = normalize_url(request.meta.get("nd_refused", ""))
        if target and target != url:  # a refused redirect target: on the report by its URL too
            self.frontier.skip(target, request.meta.get("nd_kind", "page"), "refused", reason,
                               found_from=url)
        self.frontier.failed(url, outcome, reason, status=status, retryable=retryable,
                             max_attempts=self.config.max_attempts,
                             backoff=self.config.retry_backoff)

    # -- progress and shutdown ----------------------------------------------------

    def _tick(self) -> None:
        if os.getppid() != self._parent:  # the CLI that started us is gone: stop like it did
            os._exit(1)
        try:
            self.frontier.heartbeat()
            if self.frontier.shared:
                self._pump()
            self.progress()
        except FrontierError as exc:
            self._lost(exc)

    @staticmethod
    def _lost(exc: FrontierError) -> None:
        """The frontier is gone: nothing fetched now could be recorded, so stop at once
        (its leases lapse; a new run resumes)."""
        sys.stderr.write(f"newsdesk crawl worker: {exc}\n")
        sys.stderr.flush()
        os._exit(3)

    def progress(self, final: bool = False) -> None:
        counts = self.frontier.counts()
        elapsed = max(time.time() - self.started, 1e-6)
        line = {"fetched": self.fetched, "failed": self.failures,
                "queued": counts["queued"] + counts["retry"],
                "rate": round(self.fetched / elapsed, 2), "final": final}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    def closed(self, reason) -> None:
        if getattr(self, "_ticker", None) and self._ticker.running:
            self._ticker.stop()
        self.progress(final=True)
        self.warc.close()
        self.store.close()
        self.frontier.close()


def _header(response, name: bytes) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""
