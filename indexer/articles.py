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
        """A name alone, or ``{"name", "role", "country"}`` (strings); BadInput otherwise."""
        if isinstance(data, str) and data:
            return cls(data)
        if not isinstance(data, dict) or not data.get("name"):
            raise BadInput(f"an official needs a name, got {_kind(data)}")
        return cls(*(_string(data, key, f"officials: {key}") for key in ("name", "role", "country")))


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
    # the story (near-duplicate cluster, indexer/dedup.py) it belongs to: given at index
    # time, not part of the content (re-importing the same text changes nothing)
    story: str = ""

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

    @property
    def index_hash(self) -> str:
        """What the index compares: the content hash and the story, so an article
        re-assigned to another story is re-indexed too."""
        return f"{self.content_hash}/{self.story}" if self.story else self.content_hash

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
        """Build an Article from its JSON form; a missing field is empty, never an error.

        Every field present must have its CONTRACTS.md type, or BadInput names
        the field: ``"countries": "USA"`` is refused, not read as U, S, A.
        """
        if not isinstance(data, dict):
            raise BadInput(f"expected a JSON object, got {_kind(data)}")
        url, source, title, body, given_id, language = (
            _string(data, name) for name in ("url", "source", "title", "body", "id", "language"))
        if not (title or body):
            raise BadInput("article has neither title nor body")
        authors = data.get("authors")
        countries = _list(data, "countries")
        for code in countries:
            if not (isinstance(code, str) and _CODE.match(code)):
                raise BadInput(f"countries: expected ISO 3166-1 alpha-2 codes like \"US\", "
                               f"got {_kind(code)}")
        tags = _object(data, "source_tags")
        for key, values in tags.items():
            _list(tags, key, f"source_tags: {key}", of=str)
        try:
            derived = given_id or article_id(url=url, source=source, title=title)
        except ValueError as exc:  # urlsplit: "Invalid IPv6 URL"
            raise BadInput(f"url: {exc}") from None
        article = cls(
            id=derived,
            title=title, body=body, url=url, source=source,
            published=parse_date(_string(data, "published")),
            authors=tuple(filter(None, [authors])) if isinstance(authors, str)
            else tuple(_list(data, "authors", of=str)),
            language=language or "en",
            countries=tuple(code.upper() for code in countries),
            officials=tuple(Official.from_json(o) for o in _list(data, "officials")),
            source_tags={key: list(values) for key, values in tags.items()},
            country_mentions=_mentions(data),
        )
        return article.check()

    def check(self) -> Article:
        """This article, if the store can write every text in it; else BadInput naming the field.

        A lone surrogate (JSON ``"\\ud800"``, half of an emoji) is not a character
        and cannot be encoded as UTF-8: caught here, per article, it is one
        skipped record instead of a failed batch.
        """
        texts = [("id", self.id), ("title", self.title), ("body", self.body), ("url", self.url),
                 ("source", self.source), ("language", self.language),
                 *(("authors", a) for a in self.authors),
                 *(("countries", c) for c in self.countries),
                 *(("officials", t) for o in self.officials for t in (o.name, o.role, o.country)),
                 *((f"source_tags: {k}", t) for k, v in self.source_tags.items() for t in (k, *v)),
                 *(("country_mentions", k) for k in self.country_mentions)]
        for name, text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise BadInput(f"{name}: {text[exc.start]!r} is a lone surrogate, not a "
                               "character (UTF-8 cannot store it)") from None
        return self


_CODE = re.compile(r"[A-Za-z]{2}\Z")
MAX_MENTIONS = 2**31 - 1


def _kind(value: Any) -> str:
    """A short description of a JSON value for an error message."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    text = repr(value)
    return f"{names.get(type(value), type(value).__name__)} {text[:40]}{'…' if len(text) > 40 else ''}"


def _string(data: dict, key: str, name: str = "") -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{name or key}: expected a string, got {_kind(value)}")
    return value


def _list(data: dict, key: str, name: str = "", of: type | None = None) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{name or key}: expected an array, got {_kind(value)}")
    if of is not None:
        for item in value:
            if not isinstance(item, of):
                raise BadInput(f"{name or key}: expected an array of strings, got {_kind(item)}")
    return value


def _object(data: dict, key: str) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{key}: expected an object, got {_kind(value)}")
    return value


def _mentions(data: dict) -> dict[str, int]:
    mentions = _object(data, "country_mentions")
    for code, n in mentions.items():
        if not (_CODE.match(code) and type(n) is int and 0 <= n <= MAX_MENTIONS):
            raise BadInput(f"country_mentions: expected country codes mapped to counts, "
                           f"got {code[:10]!r}: {_kind(n)}")
    return {code.upper(): n for code, n in mentions.items()}


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
        # surrogatepass: a broken URL still gets an id, so check() can name the bad field
        digest = hashlib.blake2b(canonical_url(url).encode("utf-8", "surrogatepass"),
                                 digest_size=8).hexdigest()
        return f"u-{digest}"
    if source_id:
        return f"{slug(source) or 'src'}-{slug(source_id, 80)}"
    key = f"{source}\x00{title}".encode("utf-8", "surrogatepass")
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
    try:
        return dt.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise BadInput(f"not a date: {value!r} (out of range in UTC)") from None
