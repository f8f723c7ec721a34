"""The search service: the one entry point the CLI and the web app both call.

``SearchRequest.from_params`` turns CLI flags or query-string arguments into a
validated request (one place for every parameter rule); ``SearchService.search``
runs it on the engine and returns a ``SearchResult`` whose ``to_json()`` is the
shape fixed in CONTRACTS.md.
"""
from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from . import resolve
from . import timeline as periods
from .articles import Article, Official, iso
from .config import DataDir
from .engine import FACETS, EngineHit, EngineQuery, open_backend
from .engine.types import DayCounts
from .entities import country_name, official_label
from .errors import BadRequest, NewsdeskError, NotFound
from .query import Node, Word, parse
from .query import words as query_words
from .store import Store

SORTS = ("relevance", "newest", "oldest")
TIMELINES = ("count", "share")
# A misspelt query is answered with the did-you-mean query instead ("search instead for"
# the typed one) when the typed words together find at most CORRECT_FEW articles and the
# suggestion finds at least CORRECT_MIN and CORRECT_GAIN times as many.
CORRECT_FEW, CORRECT_MIN, CORRECT_GAIN = 2, 3, 5  # bars of matches, or of matches as a share of all articles
MAX_PER_PAGE = 100
MAX_PAGE = 1000
DEFAULT_PER_PAGE = 10
# What one request may carry, for the CLI and the web alike (a 400 beyond): each bounds
# the work a request can cause, and the page's links and chips grow with them.
MAX_QUERY_CHARS = 4000   # the query text, all ``q`` values joined (a pasted paragraph fits;
                         # the engine searches at most Ranking.max_words distinct words of it)
MAX_FACET_VALUES = 50    # values of one facet filter (country, official, source)
MAX_VALUE_CHARS = 200    # one facet value
MAX_FILTER_CHARS = 2000  # all facet values together (every page link repeats them)
MAX_PARAMS = 200         # parameters in all, known or not, empty or repeated
MISSING_CHECKED = 16     # distinct words checked one by one for "not found" (a pasted
                         # paragraph of 500 words would cost 500 searches)


def _raw_values(params: Mapping, key: str) -> list:
    if hasattr(params, "getlist"):
        return params.getlist(key)
    value = params.get(key)
    return list(value) if isinstance(value, (list, tuple)) else ([] if value is None else [value])


def _getlist(params: Mapping, key: str) -> list[str]:
    return [str(v).strip() for v in _raw_values(params, key) if v is not None and str(v).strip()]


def _check_size(params: Mapping) -> None:
    """Refuse a request carrying more than the caps allow, before any work is done on it."""
    total = sum(len(_raw_values(params, key)) for key in params.keys())
    if total > MAX_PARAMS:
        raise BadRequest(f"too many parameters: at most {MAX_PARAMS}, got {total}")
    filter_chars = 0
    for name in FACETS:
        values = _raw_values(params, name)
        filter_chars += sum(len(str(v).strip()) for v in values if v is not None)
        if len(values) > MAX_FACET_VALUES:
            raise BadRequest(f"too many {name} values: at most {MAX_FACET_VALUES}, "
                             f"got {len(values)}")
        for value in values:
            if value is not None and len(str(value).strip()) > MAX_VALUE_CHARS:
                raise BadRequest(f"each {name} value may have at most "
                                 f"{MAX_VALUE_CHARS} characters")
    if filter_chars > MAX_FILTER_CHARS:
        raise BadRequest(f"the filters are too long: at most {MAX_FILTER_CHARS} characters "
                         f"of country, official and source values together, got {filter_chars}")


def _int(params: Mapping, key: str, default: int, low: int, high: int) -> int:
    values = _getlist(params, key)
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        raise BadRequest(f"{key} must be a whole number, got {values[-1]!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"{key} must be between {low} and {high}, got {number}")
    return number


def _date(params: Mapping, key: str, end: bool = False) -> date | None:
    """A day, or a whole month (2024-09) or year (2024): its first day, or with ``end`` its last."""
    values = _getlist(params, key)
    if not values:
        return None
    text = values[-1]
    try:
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
            raise ValueError(text)
        first = date.fromisoformat(text + "-01" * (2 - text.count("-")))
    except ValueError:
        raise BadRequest(f"{key} must be a date like 2024-09-24, got {text!r}") from None
    if not end or text.count("-") == 2:
        return first
    if text.count("-") == 0:
        return date(first.year, 12, 31)
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return next_month - timedelta(days=1)


def _flag(params: Mapping, key: str, default: bool = False) -> bool:
    """A yes/no parameter: true/1/yes/on or false/0/no/off (absent: ``default``)."""
    values = _getlist(params, key)
    if not values:
        return default
    text = values[-1].lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"{key} must be true or false, got {values[-1]!r}")


@dataclass(frozen=True)
class SearchRequest:
    """What to search for; every field has a safe default."""

    q: str = ""
    country: tuple[str, ...] = ()
    official: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    timeline: str = "count"
    as_typed: bool = False           # never answer with the did-you-mean query instead
    collapse: bool = True            # one entry per story; False lists every copy
    query: Node | None = field(init=False, compare=False, repr=False)  # ``q``, parsed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", parse(self.q))

    @classmethod
    def from_params(cls, params: Mapping) -> SearchRequest:
        """Build from query args or CLI flags (same names); raise BadRequest on bad values
        or on a request beyond the caps (``MAX_PARAMS``, ``MAX_FACET_VALUES``,
        ``MAX_VALUE_CHARS``, ``MAX_FILTER_CHARS``, ``MAX_QUERY_CHARS``)."""
        _check_size(params)
        sort = (_getlist(params, "sort") or ["relevance"])[-1]
        if sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
        date_from, date_to = _date(params, "from"), _date(params, "to", end=True)
        if date_from and date_to and date_from > date_to:
            raise BadRequest(f"from ({date_from}) is after to ({date_to})")
        timeline = (_getlist(params, "timeline") or ["count"])[-1]
        if timeline not in TIMELINES:
            raise BadRequest(f"timeline must be one of {', '.join(TIMELINES)}, got {timeline!r}")
        q = " ".join(_getlist(params, "q"))
        if len(q) > MAX_QUERY_CHARS:
            raise BadRequest(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
        if q and parse(q) is None:
            raise BadRequest(f"the query {q!r} has no words to search for")
        return cls(
            q=q,
            # names, common forms, aliases and surnames resolve to codes and canonical names
            country=tuple(dict.fromkeys(resolve.country(c) for c in _getlist(params, "country"))),
            official=tuple(dict.fromkeys(resolve.official(o)
                                         for o in _getlist(params, "official"))),
            source=tuple(dict.fromkeys(_getlist(params, "source"))),
            date_from=date_from, date_to=date_to, sort=sort,
            page=_int(params, "page", 1, 1, MAX_PAGE),
            per_page=_int(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
            timeline=timeline,
            as_typed=_flag(params, "as_typed"),
            collapse=_flag(params, "collapse", True),
        )

    def filters(self) -> dict[str, tuple[str, ...]]:
        return {name: getattr(self, name) for name in FACETS}

    def toggled(self, facet: str, value: str) -> SearchRequest:
        """The same request with ``value`` added to or removed from a facet filter (page 1)."""
        values = getattr(self, facet)
        values = tuple(v for v in values if v != value) if value in values else (*values, value)
        return replace(self, page=1, **{facet: values})

    def to_params(self) -> list[tuple[str, str]]:
        """Query-string pairs that rebuild this request (defaults left out)."""
        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in FACETS:
            pairs += [(name, v) for v in getattr(self, name)]
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        if self.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        if self.timeline != "count":
            pairs.append(("timeline", self.timeline))
        if self.as_typed:
            pairs.append(("as_typed", "1"))
        if not self.collapse:
            pairs.append(("collapse", "false"))
        return pairs


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "count": self.count}


def hit_json(hit: EngineHit) -> dict[str, Any]:
    """One hit in the contract's shape (the API, the CLI's --json, JSON Lines exports)."""
    return {"id": hit.id, "url": hit.url, "title": hit.title, "source": hit.source,
            "published": iso(hit.published), "countries": hit.countries,
            "officials": hit.officials, "score": hit.score, "snippet": hit.snippet,
            "story": hit.story, "versions": hit.versions,
            "copies": [{**c, "published": iso(c.get("published"))} for c in hit.copies]}


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None
    took_ms: float
    relaxed: bool = False            # partial matches are listed (some words, not all)
    timeline: periods.Timeline = field(default_factory=lambda: periods.Timeline("day", []))
    all_words: int | None = None     # of ``total``, how many hold every word (None: browsing)
    all_words_first: bool = False    # those come first, then the partial matches
    missing_words: list[str] = field(default_factory=list)  # relaxed: words no article holds
    days: DayCounts = field(default_factory=DayCounts)  # the timeline's matches per day
    corrected_from: str | None = None  # the typed query, when this answers the suggestion
    stories: int | None = None       # collapsed: the stories the ``total`` articles make

    @property
    def pages(self) -> int:
        listed = self.total if self.stories is None else self.stories  # collapsed: stories
        return max(1, -(-listed // self.request.per_page))

    def to_json(self) -> dict[str, Any]:
        req = self.request
        return {
            "query": req.q, "total": self.total, "page": req.page, "per_page": req.per_page,
            "took_ms": self.took_ms,
            "hits": [hit_json(h) for h in self.hits],
            "facets": {name: [v.to_json() for v in values] for name, values in self.facets.items()},
            "suggestion": self.suggestion,
            "corrected_from": self.corrected_from,
            "relaxed": self.relaxed,
            "all_words": self.all_words,
            "missing_words": self.missing_words,
            "collapse": req.collapse, "stories": self.stories,
            "timeline": self.timeline.to_json(),
            "timeline_unit": self.timeline.unit,
        }


def _day_start(d: date | None) -> datetime | None:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc) if d else None


def _day_end(d: date | None) -> datetime | None:
    return _day_start(d) + timedelta(days=1, microseconds=-1) if d else None


class SearchService:
    """Search, articles and stats for one data dir; share one per process."""

    def __init__(self, data: DataDir | str | None = None):
        self.data = data if isinstance(data, DataDir) else DataDir.resolve(data)
        self.engine = open_backend(self.data)

    def label(self, facet: str, value: str) -> str:
        if facet == "country":
            return country_name(value)
        if facet == "official":
            role, country = self.engine.official_info(value)
            return official_label(Official(value, role, country))
        return value

    def search(self, req: SearchRequest, facet_limit: int | None = 50,
               timeline: bool = True) -> SearchResult:
        """Run ``req``; ``facet_limit`` caps each facet's values (None: all of them).

        A misspelt query that finds (almost) nothing is answered with its did-you-mean
        query when that finds much more (see ``CORRECT_FEW``); the result then says
        ``corrected_from`` the typed query, and ``as_typed`` asks for the typed one.
        """
        result = self._search(req, facet_limit, timeline)
        if req.as_typed or not result.suggestion or not req.q.strip():
            return result
        found = result.all_words if result.all_words is not None else result.total
        if found > CORRECT_FEW:
            return result
        corrected = self._search(replace(req, q=result.suggestion), facet_limit, timeline)
        better = corrected.all_words if corrected.all_words is not None else corrected.total
        if better < max(CORRECT_MIN, CORRECT_GAIN * found):
            return result
        corrected.corrected_from = req.q
        corrected.suggestion = None
        corrected.took_ms = round(result.took_ms + corrected.took_ms, 2)
        return corrected

    def _search(self, req: SearchRequest, facet_limit: int | None,
                timeline: bool) -> SearchResult:
        started = time.perf_counter()
        raw = self.engine.search(EngineQuery(
            query=req.query, text=req.q.strip(), filters=req.filters(),
            date_from=_day_start(req.date_from), date_to=_day_end(req.date_to),
            sort=req.sort, offset=(req.page - 1) * req.per_page, limit=req.per_page,
            facet_limit=facet_limit, timeline=timeline, collapse=req.collapse))
        if not raw.total and (req.country or req.official):  # a value nothing holds: say so
            everything = self.search(SearchRequest(per_page=1), facet_limit=None, timeline=False)
            resolve.check_known(req, {name: [v.value for v in values]
                                      for name, values in everything.facets.items()})
        facets = {}
        for name, counts in raw.facets.items():
            selected = set(getattr(req, name))
            values = [FacetValue(v, self.label(name, v), n, v in selected) for v, n in counts]
            shown = {v.value for v in values}
            # a selected value with no matches still shows, so it can be removed
            values += [FacetValue(v, self.label(name, v), 0, True) for v in selected - shown]
            facets[name] = values
        missing = self._missing_words(req) if raw.relaxed else []
        bars = periods.binned(raw.timeline)
        if timeline and req.timeline == "share" and bars.periods:
            bars = periods.with_share(bars, self._all_days(req))
        took = round((time.perf_counter() - started) * 1000, 2)
        return SearchResult(req, raw.total, raw.hits, facets, raw.suggestion, took, raw.relaxed,
                            bars, raw.all_words, raw.all_words_first, missing, raw.timeline,
                            stories=raw.stories)

    def _all_days(self, req: SearchRequest) -> DayCounts:
        """Articles per day in the whole archive (of the selected sources, if any): what
        the share timeline divides by, so a story's rise reads apart from the archive's."""
        return self.engine.search(EngineQuery(
            filters={"source": req.source} if req.source else {}, limit=0, facet_limit=0,
            timeline=True)).timeline

    def _missing_words(self, req: SearchRequest) -> list[str]:
        """The query's words that no article (given the same filters and dates) contains.

        One count per distinct word (no hit, no facet, no timeline: on Typesense a
        hit to rank would fetch candidates' text); only asked when the result is
        relaxed, to say why, and only of the first ``MISSING_CHECKED`` distinct words.
        """
        missing, seen = [], set()
        for word in query_words(req.query):
            if word.lower() in seen:
                continue
            if len(seen) >= MISSING_CHECKED:
                break
            seen.add(word.lower())
            try:
                found = self.engine.search(EngineQuery(
                    query=Word(word), filters=req.filters(),
                    date_from=_day_start(req.date_from), date_to=_day_end(req.date_to),
                    limit=0, facet_limit=0, timeline=False)).total
            except NewsdeskError:  # a word the engine cannot search alone (a stop word)
                continue
            if not found:
                missing.append(word)
        return missing

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """Similar articles from the index (for an article page's "more like this")."""
        return self.engine.more_like(article_id, top)

    def article(self, article_id: str) -> Article:
        if not self.data.store_path.exists():
            raise NotFound(f"no article with id {article_id!r} (the store is empty)")
        with Store(self.data.store_path, readonly=True) as store:
            article = store.get(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article

    def stats(self) -> dict[str, Any]:
        articles = 0
        if self.data.store_path.exists():
            with Store(self.data.store_path, readonly=True) as store:
                articles = store.count()
        info = self.engine.stats()
        return {"articles": articles, "indexed": info.pop("documents"),
                "index": {**{k: info[k] for k in ("generation", "built", "size_bytes")},
                          "age_seconds": info.get("age_seconds")},
                "facets": info.get("facets", {name: 0 for name in FACETS})}
