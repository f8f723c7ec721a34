"""Running one request on a generation: matches, facets, timeline, ranking, hits."""
from __future__ import annotations

import heapq
import html
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import timezone
from operator import itemgetter

import numpy as np
from pyroaring import BitMap
from whoosh import query

from ..errors import BadRequest
from ..query import Node
from ..query import parse as parse_query
from .analysis import stemmed_positions
from .caches import Generation, to_array
from .schema import FACETS, TEXT_FIELDS
from .snippets import SNIPPET_CHARS, snippet
from .translate import to_whoosh
from .types import DayCounts, EngineHit, EngineQuery, EngineResult
from .speller import RARE, suggest



@dataclass(frozen=True)
class Ranking:
    """How relevance is ranked: ONE configuration for every corpus and every user,
    chosen by measurement (benchmarks/eval_ranking.py on Cranfield, MEDLINE and CISI
    together; the figures are in benchmarks/results/ranking.md).

    - BM25F: a word's frequency in the title (times ``title_weight``) and in the
      body, each normalised by its own field's length (``b_title``, ``b_body``),
      summed, then saturated once (``k1``), times the word's idf over articles
      holding it in either field (Robertson-Sparck Jones, never negative);
    - a word typed several times counts more, saturating (``k3``; 0: once each);
    - up to ``short`` words: articles holding every word first, then the best
      partial matches; longer questions are ranked over all their words at once;
    - questions of ``feedback_from`` words or more get pseudo-relevance feedback
      (RM3): the ``feedback_terms`` words most typical of the ``feedback_docs``
      best first-pass articles (their title and lead; words in over
      ``feedback_max_df`` of all articles left out) join the query with
      ``feedback_weight`` of it, and re-rank the ``feedback_rerank`` best first-pass
      matches (feedback never adds articles to the matches);
    - at most ``max_words`` distinct words of a query are searched for (the most
      repeated, then the rarest), so even a query at the length cap stays fast.
    """

    k1: float = 2.0
    b_title: float = 0.75
    b_body: float = 0.75
    title_weight: float = 2.5
    k3: float = 3.0
    short: int = 3
    feedback_from: int = 4
    feedback_docs: int = 5         # 10 docs x 20 words ranks a little better (mean 1.23x
    feedback_terms: int = 10       # FTS5, not 1.20x) at twice the cost per question
    feedback_weight: float = 0.5
    feedback_chars: int = 1000     # of each feedback article's body read (its lead)
    feedback_rerank: int = 1000    # first-pass best the expanded query re-ranks
    feedback_max_df: float = 0.25  # a feedback word in more of the articles is left out
    max_words: int = 64


RANKING = Ranking()  # read at each request (eval_ranking.py swaps it to compare variants)


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


def _query_words(terms) -> tuple[Counter, dict[str, tuple[str, ...]]]:
    """How often each word was typed, and the text fields it is searched in.

    ``terms`` lists a (field, text) per field per occurrence (a plain word gives
    title and body), so a word's count is its largest count in any one field."""
    per_field = Counter((f, t) for f, t in terms if f in TEXT_FIELDS)
    counts: Counter = Counter()
    fields: dict[str, tuple[str, ...]] = {}
    for (f, t), n in per_field.items():
        counts[t] = max(counts[t], n)
        fields[t] = (*fields.get(t, ()), f)
    return counts, fields


def _saturated(counts: Counter, k3: float) -> dict[str, float]:
    """Query-term weights: n typed -> n (k3 + 1) / (k3 + n); k3 = 0: 1 each."""
    return {t: (n * (k3 + 1) / (k3 + n) if k3 else 1.0) for t, n in counts.items()}


def _scores(snap, weights: dict[str, float], fields: dict[str, tuple[str, ...]],
            matches: np.ndarray, ranking: Ranking | None = None) -> np.ndarray:
    """BM25F of each of ``matches`` (ascending docnums) for words weighted ``weights``.

    Per word: x = sum over its fields of weight_f * tf_f / (1 - b_f + b_f * len_f /
    avg_f); score += weight * idf * x (k1 + 1) / (k1 + x), idf = ln(1 + (N - df +
    0.5) / (df + 0.5)) with df the live articles holding the word in any of its
    fields.  Posting weights carry the schema's field boost, divided out here so
    the title weight is a ranking choice.  With postings and field lengths held as
    numpy arrays this is a few vector operations per word, however many matches.
    """
    r = ranking or RANKING
    scores = np.zeros(len(matches), dtype=np.float64)
    if not len(matches):
        return scores
    n_docs = len(snap.facets.live)
    b = {"title": r.b_title, "body": r.b_body}
    field_weight = {"title": r.title_weight, "body": 1.0}
    for text in sorted(weights):
        x = np.zeros(len(matches), dtype=np.float64)
        held = None
        for field_name in fields.get(text, TEXT_FIELDS):
            postings = snap.postings(field_name, text)
            ids = postings.ids
            if not len(ids):
                continue
            held = postings.docs if held is None else held | postings.docs
            if len(ids) <= len(matches):  # look the term's docs up among the matches
                at = np.minimum(np.searchsorted(matches, ids), len(matches) - 1)
                hit = matches[at] == ids
                where, tf = at[hit], postings.weights[hit].astype(np.float64)
            else:                         # look the matches up in the term's docs
                at = np.minimum(np.searchsorted(ids, matches), len(ids) - 1)
                hit = ids[at] == matches
                where, tf = np.flatnonzero(hit), postings.weights[at[hit]].astype(np.float64)
            boost = getattr(snap.schema[field_name].format, "field_boost", 1.0) or 1.0
            lengths = snap.lengths[field_name][matches[where]]
            norm = 1 - b[field_name] + b[field_name] * lengths / snap.average[field_name]
            x[where] += field_weight[field_name] * (tf / boost) / np.maximum(norm, 1e-9)
        if held is None:
            continue
        df = len(held)
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        scores += weights[text] * idf * x * (r.k1 + 1) / (r.k1 + x)
    return scores


def _feedback(snap, weights: dict[str, float], fields: dict[str, tuple[str, ...]],
              matches: np.ndarray, scores: np.ndarray, r: Ranking) -> dict[str, float]:
    """RM3: the words most typical of the query's best articles, weighted as they
    join the query (the typed words keep 1 - ``feedback_weight`` of it; see _ranked).

    The ``feedback_docs`` best first-pass matches each give their words' share of
    their text (title and the first ``feedback_chars`` of the body, analyzed as
    indexed), weighted by the article's share of those articles' scores; the
    ``feedback_terms`` heaviest words, normalised, get ``feedback_weight`` of the
    new query.  Empty when no article scored."""
    best = [i for i in _top(scores, matches, r.feedback_docs) if scores[i] > 0]
    total = float(scores[best].sum()) if best else 0.0
    if not total:
        return {}
    model: dict[str, float] = {}
    for i in best:
        stored = snap.searcher.stored_fields(int(matches[i]))
        words = stemmed_positions(  # the indexed terms, as StemmingAnalyzer gives them, fast
            f"{stored.get('title', '')} {stored.get('body', '')[:r.feedback_chars]}")
        share = float(scores[i]) / total / max(1, sum(len(at) for at in words.values()))
        for word, at in words.items():
            model[word] = model.get(word, 0.0) + share * len(at)
    # words in most articles (said, would, ...) tell nothing and cost the most to score
    reader, common = snap.searcher.reader(), r.feedback_max_df * len(snap.facets.live)
    chosen = [(word, v) for word, v in heapq.nlargest(3 * r.feedback_terms, model.items(),
                                                        key=itemgetter(1))
              if word in weights or reader.doc_frequency("body", word) <= common]
    chosen = chosen[:r.feedback_terms]
    fed = sum(v for _, v in chosen)
    return {word: r.feedback_weight * v / fed for word, v in chosen}


def _ranked(snap, weights, fields, matches: np.ndarray, need: int, r: Ranking,
            feedback: bool) -> list[tuple[int, float]]:
    """The ``need`` best of ``matches`` by BM25F, best first (ties: lower docnum
    first); with ``feedback``, re-ranked by the RM3-expanded query."""
    scores = _scores(snap, weights, fields, matches, r)
    if feedback and len(matches) > 1:
        added = _feedback(snap, weights, fields, matches, scores, r)
        if added:
            # the expanded query re-ranks the first pass's best (at least the page):
            # every match was scored once; the second pass stays bounded on big corpora.
            # BM25F is a sum over words, so the typed words' part is the first pass's,
            # scaled to their share (1 - feedback_weight, normalised): only the
            # feedback words are scored again
            pool = np.sort(_top(scores, matches, max(need, r.feedback_rerank)))
            matches = matches[pool]
            scores = ((1 - r.feedback_weight) / sum(weights.values()) * scores[pool]
                      + _scores(snap, added, {**{t: TEXT_FIELDS for t in added}, **fields},
                                matches, r))
    best = _top(scores, matches, need)
    return [(int(matches[i]), float(scores[i])) for i in best]


def _tiered(rank, matches: np.ndarray, first: np.ndarray, need: int) -> list:
    """``rank(docs, need)`` over the ``first`` flagged matches, then, if the page
    reaches past them, over the rest: every-word articles before partial ones."""
    page = rank(matches[first], need)
    if len(page) < need and not first.all():
        page += rank(matches[~first], need - len(page))
    return page


def _rarest(snap, counts: Counter, limit: int) -> set[str]:
    """The ``limit`` words to search for: of those in the index, the most repeated,
    then the rarest (a word no article holds cannot rank anything)."""
    reader = snap.searcher.reader()
    df = {t: sum(reader.doc_frequency(f, t) for f in TEXT_FIELDS) for t in counts}
    return set(sorted(counts, key=lambda t: (not df[t], -counts[t], df[t], t))[:limit])


def _pruned(q: query.Query, keep: set[str]) -> query.Query | None:
    """``q`` without the title/body terms not in ``keep`` (exclusions stay whole)."""
    if isinstance(q, query.Term):
        return q if q.fieldname not in TEXT_FIELDS or q.text in keep else None
    if isinstance(q, query.Not):
        return q
    if isinstance(q, query.AndNot):
        a = _pruned(q.a, keep)
        return query.AndNot(a, q.b) if a is not None else None
    if isinstance(q, (query.And, query.Or)):
        kept = [c for c in (_pruned(c, keep) for c in q.subqueries) if c is not None]
        if not any(not isinstance(c, query.Not) for c in kept):
            return None
        return kept[0] if len(kept) == 1 else type(q)(kept)
    return q


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


def _collapsed(snap, matches: np.ndarray, every: np.ndarray) -> np.ndarray:
    """Indexes into ``matches`` of one article per story: of a story's matches, the
    earliest (published, then docnum) of those holding every word, else the earliest."""
    shared = np.flatnonzero(snap.shared[matches])  # docs of stories with copies: few
    if not len(shared):
        return np.arange(len(matches))
    keys = snap.story[matches[shared]]
    order = np.lexsort((snap.facets.date_rank[matches[shared]], ~every[shared], keys))
    ordered = keys[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    keep = np.ones(len(matches), dtype=bool)
    keep[shared] = False
    keep[shared[order[first]]] = True
    return np.flatnonzero(keep)


MAX_COPIES = 50  # copies listed under one collapsed hit (``versions`` counts them all)


def _with_copies(snap, hit: EngineHit, docnum: int, matches: np.ndarray,
                 keys: np.ndarray) -> EngineHit:
    """A collapsed hit with the other matching articles of its story, earliest first."""
    if not snap.shared[docnum]:
        return hit
    others = matches[keys == snap.story[docnum]]
    others = others[others != docnum]
    others = others[np.argsort(snap.facets.date_rank[others], kind="stable")]
    hit.versions = len(others) + 1
    hit.copies = [copy_json(snap, int(n)) for n in others[:MAX_COPIES]]
    return hit


def copy_json(snap, docnum: int) -> dict:
    """Another version of a story, as a collapsed hit lists it."""
    stored = snap.searcher.stored_fields(docnum)
    published = stored.get("published")
    return {"id": stored["id"], "title": stored.get("title", ""), "url": stored.get("url", ""),
            "source": stored.get("source", ""),
            "published": published.replace(tzinfo=timezone.utc) if published else None}


def run(gen, text, filters, date_from, date_to, sort, offset, limit, facet_limit,
         timeline=False, tree: Node | None = None, collapse: bool = False) -> EngineResult:
    """One request.  ``tree`` is the query as the service parsed it (else ``text`` is
    parsed here); ``text`` is what the user typed, for did-you-mean.  With ``collapse``
    the page holds one article per story (``_collapsed``); totals, facets and the
    timeline still count articles, and ``stories`` says how many stories they make."""
    snap = _snapshot(gen)  # one immutable snapshot for the whole request: no lock
    cache = snap.facets
    searching = bool(text) or tree is not None
    q = parse(snap, tree if tree is not None else text) if searching else query.Every()
    if searching and q is query.NullQuery:
        raise BadRequest(f"the query {text!r} has no words to search for")
    r = RANKING
    counts, fields = _query_words(_positive_terms(q)) if searching else (Counter(), {})
    if len(counts) > r.max_words:  # a very long query: its most telling words only
        q = _pruned(q, _rarest(snap, counts, r.max_words))
        counts, fields = _query_words(_positive_terms(q))
    strict_docs = _docset(snap, q)
    strict_total = len(strict_docs)
    terms = _positive_terms(q) if searching else []
    words = len(counts)
    # several words: every article holding any of them matches (what the query
    # excludes stays excluded); those holding every word are counted apart and, for
    # a short query or a date sort, listed first
    relaxed = bool(searching and words > 1)
    base_docs = strict_docs
    if relaxed:
        base_docs = _union(snap.docs(f, t) for f, t in terms if f in TEXT_FIELDS)
        other = [snap.docs(f, t) for f, t in terms if f not in TEXT_FIELDS]
        if other:  # source:X is not a word: it stays a condition
            base_docs &= _union(other)
        for excluded in _excluded(q):
            base_docs -= _docset(snap, excluded)
    base = to_array(base_docs)
    chosen = {name: cache.selected(name, values) for name, values in filters.items() if values}
    histogram = DayCounts()
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
    every = _mask(cache.size, strict_docs)[matches] if relaxed else np.ones(len(matches), bool)
    all_words = int(every.sum()) if searching else None
    relaxed = relaxed and all_words < len(matches)
    total, stories, listed, listed_every = len(matches), None, matches, every
    if collapse:
        shown = _collapsed(snap, matches, every)
        listed, listed_every, stories = matches[shown], every[shown], len(shown)
    page: list[tuple[int, float | None]] = []
    need = offset + limit
    weights = _saturated(counts, r.k3)
    long_query = words > r.short
    if len(listed) and offset < len(listed):
        if searching and sort == "relevance":
            def rank(docs, n):
                return _ranked(snap, weights, fields, docs, n, r, words >= r.feedback_from)
            page = (rank(listed, need) if long_query or not relaxed
                    else _tiered(rank, listed, listed_every, need))[offset:]
        else:
            def rank(docs, n):
                return _by_date(snap, docs, n, newest=sort != "oldest")
            page = (_tiered(rank, listed, listed_every, need) if relaxed
                    else rank(listed, need))[offset:]
    body_terms = {t for f, t in terms if f == "body"}
    hits = [make_hit(snap, n, score, body_terms) for n, score in page]
    if collapse:
        keys = snap.story[matches] if snap.shared[[n for n, _ in page]].any() else None
        hits = [_with_copies(snap, hit, n, matches, keys) for hit, (n, _) in zip(hits, page)]
    suggestion = suggest(snap, text) if text and strict_total < RARE else None
    return EngineResult(total, hits, facets, suggestion, relaxed, histogram, all_words,
                        relaxed and (not long_query or sort != "relevance"), stories)


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
        snippet=text, story=stored.get("story") or stored["id"],
    )
