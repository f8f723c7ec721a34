"""Running one request on a generation: matches, facets, timeline, ranking, hits."""
from __future__ import annotations

import heapq
import html
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain
from operator import itemgetter

from whoosh import query

from ..errors import BadRequest
from .caches import Generation
from .schema import FACETS, TEXT_FIELDS
from .snippets import SNIPPET_CHARS, snippet
from .speller import RARE, suggest

SCORE_DIRECTLY = 5000  # up to this many matches are scored by _bm25, beyond by Whoosh
B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
FEW = 3  # fewer strict matches than this and a long query is relaxed


@dataclass
class EngineHit:
    id: str
    title: str
    url: str
    source: str
    published: datetime | None
    countries: list[str]
    officials: list[dict]
    score: float | None
    snippet: str


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    relaxed: bool = False
    timeline: list[tuple[str, int]] = field(default_factory=list)


def parse(gen: Generation, text: str) -> query.Query:
    """The user's text as a query; malformed syntax is searched as plain words."""
    try:
        return gen.parser.parse(text)
    except Exception:
        words = " ".join("".join(c if c.isalnum() else " " for c in text).split())
        return gen.parser.parse(words)


def _docset(gen: Generation, q: query.Query) -> set[int]:
    """Matching live docnums by set algebra over postings: C-speed unions and intersections.

    Whoosh's own matchers walk unions doc by doc in Python, which is what makes
    counting every match (for totals and facets) slow; scoring stays with Whoosh.
    """
    if isinstance(q, query.Term):
        return set(gen.docs(q.fieldname, q.text))
    if isinstance(q, query.And):
        positive = [_docset(gen, c) for c in q.subqueries if not isinstance(c, query.Not)]
        negative = [_docset(gen, c.query) for c in q.subqueries if isinstance(c, query.Not)]
        docs = set.intersection(*positive) if positive else set(gen.facets.live)
        return docs.difference(*negative)
    if isinstance(q, query.Or):
        return set().union(*(_docset(gen, c) for c in q.subqueries))
    if isinstance(q, query.AndNot):
        return _docset(gen, q.a) - _docset(gen, q.b)
    if isinstance(q, query.Not):
        return set(gen.facets.live) - _docset(gen, q.query)
    if isinstance(q, query.Every):
        return set(gen.facets.live)
    # phrases, wildcards, ranges: Whoosh itself
    return set(gen.searcher.docs_for_query(q)) & gen.facets.live


def _positive_terms(q: query.Query) -> list[tuple[str, str]]:
    """(field, text) of the terms a document may match, leaving out excluded ones."""
    if isinstance(q, query.Not):
        return []
    if isinstance(q, query.AndNot):
        return _positive_terms(q.a)
    if isinstance(q, query.Term):
        return [(q.fieldname, q.text)]
    if q.is_leaf():
        return [(f, t if isinstance(t, str) else t.decode()) for f, t in q.iter_all_terms()]
    return [t for c in q.children() for t in _positive_terms(c)]


def _relaxed_ranking(gen: Generation, terms, candidates: set[int],
                     need: int) -> list[tuple[int, float]]:
    """The ``need`` best docs matching *some* of many words, best first, by BM25F.

    Used only when few or no documents have every word (long natural-language
    questions).  Only docs holding two or more of the words are scored when
    there are enough of them: the rest could not reach the first pages.
    """
    per_word: dict[str, set[int]] = {}
    for field_name, text in set(terms):
        per_word.setdefault(text, set()).update(gen.docs(field_name, text) & candidates)
    words_held = Counter(chain.from_iterable(per_word.values()))  # counted in C
    pool = {n for n, c in words_held.items() if c >= 2}
    if len(pool) < need:
        pool = set(words_held)
    return _bm25(gen, terms, pool, need)


def _bm25(gen: Generation, terms, docs: set[int], need: int) -> list[tuple[int, float]]:
    """The ``need`` best of ``docs`` by BM25F, best first: Whoosh's formula and statistics.

    Posting weights already carry the field boost (title 2.5x), as in Whoosh's
    own scorer; with the term weights and field lengths held per generation,
    scoring a known set of matches is a dictionary walk, where a Whoosh
    collector would drive a tree of union and intersection matchers.
    """
    searcher = gen.searcher
    scores = dict.fromkeys(docs, 0.0)
    for field_name, text in set(terms):
        if field_name not in TEXT_FIELDS:
            continue
        weights = gen.weights(field_name, text)
        if not weights:
            continue
        lengths, average = gen.lengths(field_name)
        idf = searcher.idf(field_name, text)
        k, kb = K1 * (1 - B), K1 * B / average
        for n in docs.intersection(weights):
            tf = weights[n]
            scores[n] += idf * tf * (K1 + 1) / (tf + k + kb * lengths[n])
    return heapq.nlargest(need, scores.items(), key=itemgetter(1))


def run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
         timeline=False) -> EngineResult:
    searcher, cache = gen.searcher, gen.facets
    q = parse(gen, text) if text else query.Every()
    if text and q is query.NullQuery:
        raise BadRequest(f"the query {text!r} has no words to search for")
    base = _docset(gen, q)
    strict_total = len(base)
    terms = _positive_terms(q) if text else []
    words = len({t for _, t in terms})
    # no article has every word, or a long question found almost nothing: rank by
    # the words matched instead (those with all of them still come first)
    relaxed = bool(text and words > 1 and (not base or (words >= 4 and len(base) < FEW)))
    if relaxed:
        base = set().union(*(gen.docs(f, t) for f, t in terms))
    chosen = {name: cache.selected(name, values) for name, values in filters.items() if values}
    histogram = []
    if timeline:  # like a facet: given every filter but its own (the dates)
        histogram = cache.timeline(base.intersection(*chosen.values()) if chosen else base)
    if date_from or date_to:
        low = date_from.replace(tzinfo=None) if date_from else datetime.min
        high = date_to.replace(tzinfo=None) if date_to else datetime.max
        published = cache.published
        base = {n for n in base if published[n] and low <= published[n] <= high}
    matches = base.intersection(*chosen.values()) if chosen else base
    facets = {}
    for name in FACETS:
        others = [docs for other, docs in chosen.items() if other != name]
        scope = base.intersection(*others) if others else base
        facets[name] = cache.count(name, scope, facet_limit)
    page: list[tuple[int, float | None]] = []
    if matches and offset < len(matches):
        if relaxed and sort == "relevance":
            page = _relaxed_ranking(gen, terms, matches, offset + limit)[offset:]
        elif text and sort == "relevance" and len(matches) <= SCORE_DIRECTLY:
            page = _bm25(gen, terms, matches, offset + limit)[offset:]
        else:
            kwargs: dict = {"limit": offset + limit}
            if len(matches) < len(cache.live):
                kwargs["filter"] = matches
            if sort != "relevance" or not text:
                kwargs["sortedby"] = "published"
                kwargs["reverse"] = sort != "oldest"
            results = searcher.search(q if not relaxed else query.Every(), **kwargs)
            top = results.top_n[offset:offset + limit]
            page = [(n, score if sort == "relevance" and text else None) for score, n in top]
    body_terms = {t for f, t in terms if f == "body"}
    hits = [make_hit(gen, n, score, body_terms) for n, score in page]
    suggestion = suggest(gen, text) if text and strict_total < RARE else None
    return EngineResult(len(matches), hits, facets, suggestion, relaxed, histogram)


def make_hit(gen: Generation, docnum: int, score: float | None, terms: set[str]) -> EngineHit:
    stored = gen.searcher.stored_fields(docnum)
    body = stored.get("body", "")
    text = snippet(body, terms) if terms else ""
    if not text:  # no query words in the body: the lead
        cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(body) > SNIPPET_CHARS else body
        text = html.escape(cut, quote=False) + (" …" if len(body) > SNIPPET_CHARS else "")
    published = stored.get("published")
    return EngineHit(
        id=stored["id"], title=stored.get("title", ""), url=stored.get("url", ""),
        source=stored.get("source", ""),
        published=published.replace(tzinfo=timezone.utc) if published else None,
        countries=[c for c in stored.get("country", "").split(",") if c],
        officials=json.loads(stored.get("officials_json") or "[]"),
        score=round(score, 3) if score is not None else None,
        snippet=text,
    )
