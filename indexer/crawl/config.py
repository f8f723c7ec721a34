"""What to crawl and how politely: sources (feeds, sitemaps, start URLs) and limits.

A :class:`CrawlConfig` comes from ``corpus/sources.toml``-style files
(:func:`load_sources`) and/or command-line flags; it travels to the crawl
worker process as JSON (:meth:`CrawlConfig.to_json`).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

import tomllib

from ..errors import BadInput
from ..importers.limits import MAX_BYTES
from .frontier import REDIS_SCHEMES
from .guard import UrlPolicy, parse_networks

VERSION = "0.1"


@dataclass
class Source:
    """One publication: where its article lists are and which URLs are its articles."""

    name: str = ""
    feeds: list[str] = field(default_factory=list)        # RSS / Atom
    sitemaps: list[str] = field(default_factory=list)     # XML sitemaps, Google News sitemaps
    start_urls: list[str] = field(default_factory=list)   # section fronts to follow links from
    allowed_domains: list[str] = field(default_factory=list)  # default: the seeds' hosts
    article_patterns: list[str] = field(default_factory=list)  # regexes; none = any page

    def domains(self) -> list[str]:
        if self.allowed_domains:
            return [d.lower().lstrip(".") for d in self.allowed_domains]
        hosts = {urlsplit(u).hostname or "" for u in self.feeds + self.sitemaps + self.start_urls}
        return sorted(h for h in hosts if h)


@dataclass
class CrawlConfig:
    """Sources plus the politeness and limit settings (defaults are the polite ones)."""

    sources: list[Source] = field(default_factory=list)
    contact_url: str = "https://github.com/newsdesk/newsdesk#crawler"
    user_agent: str = ""             # default: newsdesk/VERSION (+contact_url)
    delay: float = 1.0               # seconds between requests to one host (robots Crawl-delay wins if larger)
    concurrency_per_host: int = 2
    autothrottle: bool = True        # slow down further when a host answers slowly
    timeout: float = 30.0            # per request, seconds
    max_bytes: int = MAX_BYTES       # larger responses are dropped ("too large"): 5 MB
    max_redirects: int = 5           # more is a "redirect loop"
    retries: int = 2                 # immediate retries within a run (timeouts, 5xx)
    max_attempts: int = 3            # runs that try a failing URL before giving up on it
    retry_backoff: float = 600.0     # seconds before a failed URL is tried again, doubling each time
    max_pages: int = 0               # pages to fetch in this run (0 = no limit); feeds/sitemaps not counted
    max_depth: int = 2               # link hops from a start URL, feed or sitemap
    recrawl: bool = False            # revisit fetched pages (conditional requests)
    robots_sitemaps: bool = True     # also read the sitemaps a source host's robots.txt lists
    allow_addresses: list[str] = field(default_factory=list)  # non-public IPs/CIDRs one may fetch
    frontier: str = ""               # "" = DATA/crawl.sqlite; redis://HOST:PORT/DB = shared by many workers
    lease_seconds: float = 30.0      # shared frontier: a dead worker's URLs go to others after this

    @property
    def agent(self) -> str:
        return self.user_agent or f"newsdesk/{VERSION} (+{self.contact_url})"

    def domains(self) -> list[str]:
        return sorted({d for s in self.sources for d in s.domains()})

    def source_for(self, url: str) -> Source | None:
        host = (urlsplit(url).hostname or "").lower()
        for source in self.sources:
            if any(host == d or host.endswith("." + d) for d in source.domains()):
                return source
        return None

    def is_article_url(self, url: str) -> bool:
        source = self.source_for(url)
        if source is None:
            return False
        return not source.article_patterns or any(re.search(p, url) for p in source.article_patterns)

    def policy(self) -> UrlPolicy:
        """Where the crawler may connect: the allowed domains and allowed addresses."""
        return UrlPolicy(tuple(self.domains()), parse_networks(self.allow_addresses))

    def validate(self) -> CrawlConfig:
        self.policy()  # a bad --allow-address fails before anything starts
        if self.frontier and urlsplit(self.frontier).scheme not in REDIS_SCHEMES:
            raise BadInput(f"not a frontier URL: {self.frontier} (give redis://HOST:PORT/DB)")
        if self.lease_seconds < 2:
            raise BadInput(f"lease_seconds must be at least 2 (leases are renewed every second), "
                           f"not {self.lease_seconds}")
        if not any(s.feeds or s.sitemaps or s.start_urls for s in self.sources):
            raise BadInput("nothing to crawl: give --feed, --sitemap or --start, or --sources FILE")
        for source in self.sources:
            for pattern in source.article_patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise BadInput(f"bad article pattern {pattern!r}: {exc}") from None
            for url in source.feeds + source.sitemaps + source.start_urls:
                if urlsplit(url).scheme not in ("http", "https"):
                    raise BadInput(f"not an http(s) URL: {url}")
        return self

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CrawlConfig:
        known = {f.name for f in fields(cls)} - {"sources"}
        config = cls(**{k: v for k, v in data.items() if k in known})
        config.sources = [_source(s) for s in data.get("sources") or []]
        return config


def _source(data: dict) -> Source:
    known = {f.name for f in fields(Source)}
    unknown = set(data) - known
    if unknown:
        raise BadInput(f"unknown source keys: {', '.join(sorted(unknown))}")
    return Source(**data)


def load_sources(path: str | Path) -> CrawlConfig:
    """Read a sources file: a ``[crawl]`` table of settings and ``[[source]]`` tables."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"{path}: {exc}") from None
    settings = dict(data.get("crawl") or {})
    unknown = set(settings) - {f.name for f in fields(CrawlConfig)} - {"sources"}
    if unknown:
        raise BadInput(f"{path}: unknown [crawl] keys: {', '.join(sorted(unknown))}")
    settings["sources"] = data.get("source") or []
    return CrawlConfig.from_json(settings)
