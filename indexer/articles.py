"""The Article: one news story, its stable id, content hash and JSON form.

The JSON form is the interchange format of ../shared/CONTRACTS.md: what
``newsdesk export`` writes and ``newsdesk import jsonl`` reads.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import BadInput


@dataclass(frozen=True)
class Official:
    """A government official as a facet value: ``name`` is canonical."""

    name: str
    role: str = ""
    country: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role, "country": self.country}

    @classmethod
    def from_json(cls, data: Any) -> Official:
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, dict) or not data.get("name"):
            raise BadInput(f"an official needs a name, got {data!r}")
        return cls(str(data["name"]), str(data.get("role") or ""), str(data.get("country") or ""))


@dataclass(frozen=True)
class Article:
    """One article; ``countries`` and ``officials`` are the entity facets."""

    id: str
    title: str = ""
    body: str = ""
    url: str = ""
    source: str = ""
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str = "en"
    countries: tuple[str, ...] = ()
    officials: tuple[Official, ...] = ()
    source_tags: dict[str, list[str]] = field(default_factory=dict)
    country_mentions: dict[str, int] = field(default_factory=dict)  # per code, for display

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored or indexed about the article changes."""
        h = hashlib.blake2b(digest_size=12)
        for part in (self.title, self.body, self.url, self.source, iso(self.published) or "",
                     "|".join(self.authors), self.language, "|".join(self.countries),
                     "|".join(f"{o.name}/{o.role}/{o.country}" for o in self.officials),
                     "|".join(f"{k}={v}" for k, v in sorted(self.country_mentions.items()))):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        return h.hexdigest()

    def with_entities(self, countries, officials, mentions: dict | None = None) -> Article:
        return replace(self, countries=tuple(countries), officials=tuple(officials),
                       country_mentions=dict(mentions or {}))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": self.url, "source": self.source, "title": self.title,
            "body": self.body, "published": iso(self.published), "authors": list(self.authors),
            "language": self.language, "countries": list(self.countries),
            "officials": [o.to_json() for o in self.officials],
            "source_tags": self.source_tags,
            "country_mentions": self.country_mentions,
        }

    @classmethod
    def from_json(cls, data: Any) -> Article:
        """Build an Article from its JSON form; a missing field is empty, never an error."""
        if not isinstance(data, dict):
            raise BadInput(f"expected a JSON object, got {type(data).__name__}")
        url = str(data.get("url") or "")
        source = str(data.get("source") or "")
        title = str(data.get("title") or "")
        body = str(data.get("body") or "")
        if not (title or body):
            raise BadInput("article has neither title nor body")
        authors = data.get("authors") or []
        if isinstance(authors, str):
            authors = [authors]
        tags = data.get("source_tags") or {}
        if not isinstance(tags, dict):
            raise BadInput("source_tags must be an object")
        return cls(
            id=str(data.get("id") or article_id(url=url, source=source, title=title)),
            title=title, body=body, url=url, source=source,
            published=parse_date(data.get("published")),
            authors=tuple(str(a) for a in authors),
            language=str(data.get("language") or "en"),
            countries=tuple(str(c).upper() for c in data.get("countries") or ()),
            officials=tuple(Official.from_json(o) for o in data.get("officials") or ()),
            source_tags={str(k): [str(x) for x in v] for k, v in tags.items()},
            country_mentions=_mentions(data.get("country_mentions")),
        )


def _mentions(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    try:
        return {str(k).upper(): int(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise BadInput("country_mentions must map codes to counts") from None


_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid)=", re.I)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(p))
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def article_id(*, url: str = "", source: str = "", source_id: str = "", title: str = "") -> str:
    """A stable id: from the canonical URL, else from source + the source's own id or title."""
    if url:
        digest = hashlib.blake2b(canonical_url(url).encode(), digest_size=8).hexdigest()
        return f"u-{digest}"
    if source_id:
        return f"{slug(source) or 'src'}-{slug(source_id, 80)}"
    key = f"{source}\x00{title}".encode()
    return f"{slug(source) or 'src'}-{hashlib.blake2b(key, digest_size=8).hexdigest()}"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parse_date(value: Any) -> datetime | None:
    """Read a date or date-time (ISO 8601 and a few common forms) as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = None
            for fmt in ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%a, %d %b %Y %H:%M:%S %z",
                        "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y/%m/%d"):
                try:
                    dt = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if dt is None:
                raise BadInput(f"not a date: {value!r} (use YYYY-MM-DD or ISO 8601)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
