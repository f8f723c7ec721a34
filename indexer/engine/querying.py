"""Running one request on a generation: matches, facets, timeline, ranking, hits."""
from __future__ import annotations

import html
import json
from datetime import timezone

import numpy as np
from pyroaring import BitMap
from whoosh import query

from ..errors import BadRequest
from ..query import Node
from ..query import parse as parse_query
from .caches import Generation, to_array
from .schema import FACETS, TEXT_FIELDS
from .snippets import SNIPPET_CHARS, snippet
from .translate import to_whoosh
from .types import EngineHit, EngineQuery, EngineResult
from .speller import RARE, suggest

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
FEW = 3  # fewer strict matches than this and a long query is relaxed


def parse(gen: Generation, tree: Node | str | None) -> query.Query:
    """Our query tree (or text, parsed into one) as a Whoosh query; NullQuery: no words."""
    if isinstance(tree, str):
        tree = parse_query(tree)
    return to_whoosh(tree, gen.searcher.schema) if tree is not None else query.NullQuery


def _snapshot(gen):
    """The snapshot a request runs on, taken once: a Generation's current one, or itself."""
    return getattr(gen, "snapshot", gen)


def _union(sets) -> BitMap:
    out = BitMap()
    for docs in sets:
        out |= docs
    return out


def _docset(snap, q: query.Query) -> BitMap:
    """Matching live docnums by set algebra over the terms' roaring bitmaps (in C).

    Whoosh's own matchers walk unions doc by doc in Python, which is what makes
    counting every match (for totals and facets) slow.
    """
    if isinstance(q, query.Term):
        return snap.docs(q.fieldname, q.text)
    if isinstance(q, query.And):
        positive = [_docset(snap, c) for c in q.subqueries if not isinstance(c, query.Not)]
        negative = [_docset(snap, c.query) for c in q.subqueries if isinstance(c, query.Not)]
        if positive:
            positive.sort(key=len)  # smallest first: every intersection stays small
            docs = BitMap(positive[0])
            for other in positive[1:]:
                docs &= other
        else:
            docs = BitMap(snap.facets.live)
        for other in negative:
            docs -= other
        return docs
    if isinstance(q, query.Or):
        return _union(_docset(snap, c) for c in q.subqueries)
    if isinstance(q, query.AndNot):
        return BitMap(_docset(snap, q.a)) - _docset(snap, q.b)
    if isinstance(q, query.Not):
        return BitMap(snap.facets.live) - _docset(snap, q.query)
    if isinstance(q, query.Every):
        return BitMap(snap.facets.live)
    # phrases, wildcards, ranges: Whoosh itself, once per snapshot (cached like terms)
    return snap.whoosh_docs(q)


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


def _excluded(q: query.Query) -> list[query.Query]:
    """The subqueries a match must not satisfy: ``-word``, ``NOT x``, ``a ANDNOT b``."""
    if isinstance(q, query.Not):
        return [q.query]
    if isinstance(q, query.AndNot):
        return [q.b, *_excluded(q.a)]
    if isinstance(q, query.And):
        return [x for c in q.subqueries for x in _excluded(c)]
    return []


def _top(keys: np.ndarray, docnums: np.ndarray, need: int) -> np.ndarray:
    """Indexes of the ``need`` largest ``keys``, largest first, ties by docnum ascending
    (as Whoosh's collector orders them); one partition, then a sort of the few."""
    if need <= 0 or not len(keys):
        return np.zeros(0, dtype=np.int64)
    if need < len(keys):
        kth = np.partition(keys, len(keys) - need)[len(keys) - need]
        candidates = np.flatnonzero(keys >= kth)
    else:
        candidates = np.arange(len(keys))
    order = np.lexsort((docnums[candidates], -keys[candidates]))
    return candidates[order[:need]]


def _scores(snap, terms, matches: np.ndarray) -> np.ndarray:
    """BM25F of each of ``matches`` (ascending docnums): Whoosh's formula and statistics.

    Posting weights already carry the field boost (title 2.5x), as in Whoosh's
    own scorer; with the term postings, idf and field lengths held as numpy
    arrays, scoring any number of matches is a few vector operations per term,
    where a Whoosh collector would unpickle every posting block in Python.
    """
    scores = np.zeros(len(matches), dtype=np.float64)
    for field_name, text in sorted(set(terms)):
        if field_name not in TEXT_FIELDS:
            continue
        postings = snap.postings(field_name, text)
        ids = postings.ids
        if not len(ids) or not len(matches):
            continue
        if len(ids) <= len(matches):  # look the term's docs up among the matches
            at = np.minimum(np.searchsorted(matches, ids), len(matches) - 1)
            hit = matches[at] == ids
            where, tf = at[hit], postings.weights[hit].astype(np.float64)
        else:                         # look the matches up in the term's docs
            at = np.minimum(np.searchsorted(ids, matches), len(ids) - 1)
            hit = ids[at] == matches
            where, tf = np.flatnonzero(hit), postings.weights[at[hit]].astype(np.float64)
        lengths = snap.lengths[field_name][matches[where]]
        average = snap.average[field_name]
        k, kb = K1 * (1 - B), K1 * B / average
        scores[where] += postings.idf * tf * (K1 + 1) / (tf + k + kb * lengths)
    return scores


def _bm25(snap, terms, matches: np.ndarray, need: int) -> list[tuple[int, float]]:
    """The ``need`` best of ``matches`` by BM25F, best first (ties: lower docnum first)."""
    scores = _scores(snap, terms, matches)
    best = _top(scores, matches, need)
    return [(int(matches[i]), float(scores[i])) for i in best]


def _relaxed_ranking(snap, terms, candidates: np.ndarray, need: int) -> list[tuple[int, float]]:
    """The ``need`` best docs matching *some* of many words, best first, by BM25F.

    Used only when few or no documents have every word (long natural-language
    questions).  Only docs holding two or more of the words are scored when
    there are enough of them: the rest could not reach the first pages.
    """
    per_word: dict[str, BitMap] = {}
    for field_name, text in set(terms):
        per_word.setdefault(text, BitMap()).update(snap.docs(field_name, text))
    held = np.zeros(len(candidates), dtype=np.int64)
    for docs in per_word.values():
        held += np.isin(candidates, to_array(docs), assume_unique=True)
    pool = candidates[held >= 2]
    if len(pool) < need:
        pool = candidates[held >= 1]
    return _bm25(snap, terms, pool, need)


def _by_date(snap, matches: np.ndarray, need: int, newest: bool) -> list[tuple[int, None]]:
    """The first ``need`` of ``matches`` by published date (undated last when oldest first,
    first when newest first, as Whoosh's sortable column orders them)."""
    rank = snap.facets.date_rank[matches]
    best = _top(rank if newest else -rank, matches, need)
    return [(int(matches[i]), None) for i in best]


def _mask(size: int, docs) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[to_array(docs)] = True
    return mask


def run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
         timeline=False) -> EngineResult:
    snap = _snapshot(gen)  # one immutable snapshot for the whole request: no lock
    cache = snap.facets
    searching = bool(text)
    q = parse(snap, text) if searching else query.Every()
    if searching and q is query.NullQuery:
        raise BadRequest(f"the query {text!r} has no words to search for")
    base_docs = _docset(snap, q)
    strict_total = len(base_docs)
    terms = _positive_terms(q) if searching else []
    words = len({t for _, t in terms})
    # no article has every word, or a long question found almost nothing: rank by
    # the words matched instead (those with all of them still come first); what the
    # query excludes stays excluded
    relaxed = bool(searching and words > 1
                   and (not base_docs or (words >= 4 and len(base_docs) < FEW)))
    if relaxed:
        base_docs = _union(snap.docs(f, t) for f, t in terms)
        for excluded in _excluded(q):
            base_docs -= _docset(snap, excluded)
    base = to_array(base_docs)
    chosen = {name: cache.selected(name, values) for name, values in filters.items() if values}
    histogram = []
    if timeline:  # like a facet: given every filter but its own (the dates)
        scope = base
        for docs in chosen.values():
            scope = scope[_mask(cache.size, docs)[scope]]
        histogram = cache.timeline(scope)
    if date_from or date_to:
        base = cache.in_dates(base, date_from.replace(tzinfo=None) if date_from else None,
                              date_to.replace(tzinfo=None) if date_to else None)
    inside = {name: _mask(cache.size, docs)[base] for name, docs in chosen.items()}
    keep = np.ones(len(base), dtype=bool)
    for flags in inside.values():
        keep &= flags
    matches = base[keep]
    facets = {}
    for name in FACETS:
        others = [flags for other, flags in inside.items() if other != name]
        if not others:
            scope = base
        elif len(others) == len(inside):
            scope = matches
        else:
            scope = base[np.logical_and.reduce(others)]
        facets[name] = cache.count(name, scope, facet_limit)
    page: list[tuple[int, float | None]] = []
    need = offset + limit
    if len(matches) and offset < len(matches):
        if relaxed and sort == "relevance":
            page = _relaxed_ranking(snap, terms, matches, need)[offset:]
        elif searching and sort == "relevance":
            page = _bm25(snap, terms, matches, need)[offset:]
        else:
            page = _by_date(snap, matches, need, newest=sort != "oldest")[offset:]
    body_terms = {t for f, t in terms if f == "body"}
    hits = [make_hit(snap, n, score, body_terms) for n, score in page]
    suggestion = suggest(snap, text) if text and strict_total < RARE else None
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
