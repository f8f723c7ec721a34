"""URL normalization and domain checks, so one article is fetched once.

``normalize_url`` builds on :func:`indexer.articles.canonical_url` (lower-case
scheme and host, no fragment, no tracking parameters) and also drops default
ports, so ``HTTP://Site:80/a?utm_source=x#top`` and ``http://site/a`` are one
frontier entry.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from ..articles import canonical_url

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str, base: str = "") -> str:
    """The frontier key of ``url`` (resolved against ``base``); "" if not http(s)."""
    url = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return ""
    netloc = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if port and port != DEFAULT_PORTS[parts.scheme.lower()]:
        netloc = f"{netloc}:{port}"
    return canonical_url(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))


def in_domains(url: str, domains: list[str]) -> bool:
    """True when the URL's host is one of ``domains`` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)
