"""HTML pages: the search page and the article page, each linking its JSON twin.

Views parse the request with ``SearchRequest.from_params`` and call the one
``SearchService``; this module only turns the result into links, labels and
shapes to draw (the timeline's bars, the article's marked spans).
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request, url_for

from indexer import BadRequest, Official, SearchRequest, SearchResult
from indexer import timeline as periods
from indexer.entities import country_name, extract, official_label
from indexer.highlight import match_spans
from indexer.search import DEFAULT_PER_PAGE, MAX_PAGE, SORTS

from . import MAX_LINK_URL, query_url, service

bp = Blueprint("pages", __name__)

FACET_TITLES = {"country": "Country", "official": "Official", "source": "Source"}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
SAFE_SCHEMES = ("http://", "https://")
FACET_LIMIT = 60    # values per facet on the page (all of them: /api/facets/<name>)
FACET_VISIBLE = 8   # shown before "show more"
MORE_LIKE = 5


@bp.app_template_filter("thousands")
def thousands(n: int) -> str:
    """A count as the page shows every count: 12,345."""
    return f"{n:,}"


def sort_links(req: SearchRequest) -> list[dict[str, Any]]:
    """The sort orders to offer: relevance only for a query (browsing is newest first)."""
    current = req.sort if req.q or req.sort != "relevance" else "newest"
    return [{"value": s, "label": SORT_LABELS[s], "current": s == current,
             "url": search_url(replace(req, sort=s, page=1))}
            for s in SORTS if req.q or s != "relevance"]


def search_url(req: SearchRequest) -> str:
    """The search page for ``req``."""
    base = g.get("search_base")
    if base is None:
        base = g.search_base = url_for("pages.search")
    return query_url(base, req.to_params())


def with_filter(req: SearchRequest, facet: str, value: str) -> SearchRequest:
    """``req`` with ``value`` in ``facet`` (kept if already there), back on page 1."""
    if value in getattr(req, facet):
        return replace(req, page=1)
    return req.toggled(facet, value)


# --- periods (timeline bars and the date facet) ---------------------------------------------

def with_dates(req: SearchRequest, start: date | None, end: date | None) -> SearchRequest:
    return replace(req, date_from=start, date_to=end, page=1)


@dataclass
class Bar:
    period: str
    label: str
    count: int
    start: date
    end: date
    url: str
    selected: bool
    x: float
    y: float
    width: float
    height: float
    hit_x: float  # the full-height, full-step click target
    all: int | None = None  # share view: all articles of the period


TIMELINE_W, TIMELINE_H = 600.0, 100.0
UNIT_PLURAL = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


def _articles(n: int) -> str:
    return f"{n:,} {'article' if n == 1 else 'articles'}"


def _percent(value: float) -> str:
    """"12%", "3.4%", "0.05%": enough digits to tell small shares apart."""
    pct = value * 100
    if pct == 0:
        return "0%"
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    return f"{pct:.2g}%"


def timeline_view(result: SearchResult) -> dict[str, Any] | None:
    """Bars (in a 600×100 viewBox) for ``result.timeline``, each linking its period, with
    the axis labels: a few period ticks below, the peak above, and the unit.

    In the share view (``timeline=share``) a bar's height is the matches' share of all
    articles of that period, so a rise is not confused with a bigger archive."""
    tl = result.timeline
    if not tl.periods or not tl.peak:
        return None
    req = result.request
    share = req.timeline == "share" and all(p.all is not None for p in tl.periods)
    values = [(p.share or 0.0) if share else float(p.count) for p in tl.periods]
    peak = max(values)
    step = TIMELINE_W / len(tl.periods)
    gap = min(step * 0.15, 2.0)
    bars = []
    for i, (p, value) in enumerate(zip(tl.periods, values)):
        height = round(TIMELINE_H * value / peak, 2) if value else 0.0
        if p.count and height < 1.5:
            height = 1.5
        selected = bool((req.date_from or req.date_to)
                        and (req.date_from is None or req.date_from <= p.end)
                        and (req.date_to is None or req.date_to >= p.start))
        name = periods.label(p.key)
        text = f"{name}: {_articles(p.count)}"
        if share:
            text = (f"{name}: {p.count:,} of {_articles(p.all)} ({_percent(p.share or 0.0)})"
                    if p.all else f"{name}: no articles")
        bars.append(Bar(p.key, text, p.count, p.start, p.end,
                        search_url(with_dates(req, p.start, p.end)), selected,
                        x=round(i * step + gap / 2, 2), y=round(TIMELINE_H - height, 2),
                        width=round(max(step - gap, 0.4), 2), height=height,
                        hit_x=round(i * step, 3), all=p.all))
    ticks = [{"label": label} for _, label in periods.ticks(tl)]
    first, last = tl.periods[0].start, tl.periods[-1].end
    modes = [{"label": "Articles", "selected": not share,
              "url": search_url(replace(req, timeline="count"))},
             {"label": "Share of all articles", "selected": share,
              "url": search_url(replace(req, timeline="share"))}]
    return {"bars": bars, "unit": tl.unit, "units": UNIT_PLURAL[tl.unit], "share": share,
            "peak": _percent(peak) if share else f"{int(peak):,}",
            "step": round(step, 3), "width": TIMELINE_W, "height": TIMELINE_H,
            "first": periods.label(tl.periods[0].key), "last": periods.label(tl.periods[-1].key),
            "ticks": ticks, "modes": modes,
            "span": f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}",
            "filtered": bool(req.date_from or req.date_to)}


def date_facet(result: SearchResult) -> list[dict[str, Any]]:
    """Coarser periods than the timeline (months, or years past two years) with counts."""
    months = periods.binned(result.days, "month")
    tl = months if len(months.periods) <= 24 else periods.binned(result.days, "year")
    req = result.request
    values = []
    for p in tl.periods:
        if not p.count:
            continue
        selected = req.date_from == p.start and req.date_to == p.end
        target = with_dates(req, None, None) if selected else with_dates(req, p.start, p.end)
        values.append({"label": periods.label(p.key), "count": p.count, "selected": selected,
                       "url": search_url(target)})
    return values


# --- facets, chips, pages ---------------------------------------------------------------------

def _value_id(facet: str, value: str) -> str:
    return f"f-{facet}-{zlib.crc32(value.encode('utf-8')):08x}"


def facet_view(result: SearchResult) -> list[dict[str, Any]]:
    """Each facet's values (checkbox id, label, count), split for "show more".

    The checkboxes belong to the search form (``form="search"``): ticking one and
    submitting (JS does it at once) gives the same URL ``req.toggled`` would.
    """
    req = result.request
    facets = []
    for name, values in result.facets.items():
        items = [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected,
                  "id": _value_id(name, v.value)} for v in values]
        shown = items[:FACET_VISIBLE] + [v for v in items[FACET_VISIBLE:] if v["selected"]]
        more = [v for v in items[FACET_VISIBLE:] if not v["selected"]]
        facets.append({
            "name": name, "title": FACET_TITLES.get(name, name.title()),
            "values": items, "shown": shown, "more": more,
            "truncated": len([v for v in values if v.count]) >= FACET_LIMIT,
            "all_url": query_url(url_for("api.facet", name=name), req.to_params()),
        })
    return facets


@dataclass
class Chip:
    """An active filter, shown with a link that removes it.

    ``request`` is the search without this filter when dropping it alone could find
    more; None for one value among several of a facet: values are OR-ed, so
    dropping one can only narrow (a no-results page need not try it).
    """

    kind: str
    label: str
    remove_url: str
    request: SearchRequest | None


def removal_urls(base: str, params: list[tuple[str, str]]) -> list[str]:
    """For each pair of ``params``, ``base`` with the query string of all the others.

    Each pair is encoded once and each URL is cut from the one joined query string,
    so n chips cost n encodings and n string copies, not n re-encodings of n pairs.
    """
    encoded = [urlencode([pair]) for pair in params]
    joined = "&".join(encoded)
    urls, start = [], 0
    for part in encoded:
        end = start + len(part)
        if end < len(joined):
            rest = joined[:start] + joined[end + 1:]
        else:
            rest = joined[:max(start - 1, 0)]
        urls.append(f"{base}?{rest}" if rest else base)
        start = end + 1
    return urls


def chips(result: SearchResult) -> list[Chip]:
    req = result.request
    labels = {(name, v.value): v.label for name, values in result.facets.items() for v in values}
    params = replace(req, page=1).to_params()
    removals = dict(zip(params, removal_urls(search_url(SearchRequest()), params)))
    found = []
    for name in ("country", "official", "source"):
        values = getattr(req, name)
        for value in values:
            label = labels.get((name, value)) or service().label(name, value)
            without = req.toggled(name, value) if len(values) == 1 else None
            found.append(Chip(FACET_TITLES[name], label, removals[(name, value)], without))
    if req.date_from:
        without = replace(req, date_from=None, page=1)
        found.append(Chip("From", req.date_from.isoformat(), search_url(without), without))
    if req.date_to:
        without = replace(req, date_to=None, page=1)
        found.append(Chip("To", req.date_to.isoformat(), search_url(without), without))
    return found


def relaxations(result: SearchResult, found: list[Chip]) -> list[dict[str, Any]]:
    """For a search with no results: how many articles each dropped filter would give.

    At most one search per facet and date bound (see ``Chip.request``), however
    many values the request carries.
    """
    if result.total or not found:
        return []
    options = []
    for chip in found:
        if chip.request is None:
            continue
        n = service().search(replace(chip.request, per_page=1), facet_limit=0,
                             timeline=False).total
        if n:
            options.append({"chip": chip, "count": n})
    return sorted(options, key=lambda o: -o["count"])


@dataclass
class PageLink:
    label: str
    url: str | None  # None: the current page or a gap
    current: bool = False
    rel: str | None = None


def pagination(result: SearchResult, around: int = 2) -> list[PageLink]:
    """Prev, first, a window around the current page, last, next ("…" for gaps)."""
    req = result.request
    last = min(result.pages, 1000)
    if last <= 1 and req.page == 1:
        return []
    current = req.page
    links = []

    def page_url(n: int) -> str:
        return search_url(replace(req, page=n))

    if current > 1:
        links.append(PageLink("‹ Previous", page_url(min(current - 1, last)), rel="prev"))
    numbers = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    previous = 0
    for n in numbers:
        if n - previous > 1:
            links.append(PageLink("…", None))
        links.append(PageLink(str(n), None if n == current else page_url(n), n == current))
        previous = n
    if current < last:
        links.append(PageLink("Next ›", page_url(current + 1), rel="next"))
    return links


def hit_view(req: SearchRequest, hit, compact: bool = False) -> dict[str, Any]:
    """A hit and its tags, each linking this search with that filter added; with
    ``compact``, a search for the tag alone (as on the article page), so a long request
    is not repeated in every tag of every hit."""
    def tag_url(facet: str, value: str) -> str:
        if compact:
            return search_url(SearchRequest(**{facet: (value,)}))
        return search_url(with_filter(req, facet, value))

    return {
        "hit": hit,
        "countries": [{"code": c, "name": country_name(c), "selected": c in req.country,
                       "url": tag_url("country", c)} for c in hit.countries],
        "officials": [{"name": o.get("name", ""),
                       "label": official_label(Official(o.get("name", ""), o.get("role", ""),
                                                        o.get("country", ""))),
                       "selected": o.get("name") in req.official,
                       "url": tag_url("official", o.get("name", ""))}
                      for o in hit.officials if o.get("name")],
        # collapsed: the story's other matching articles, behind "n versions"
        "copies": [{**c, "url": article_url(c["id"])} for c in hit.copies],
    }


@bp.get("/")
def search():
    """The search page; same parameters as ``/api/search``.

    :raise 400: a bad parameter (``BadRequest``).
    :raise 503: no index yet (``IndexUnavailable``).
    """
    args = list(request.args.items(multi=True))
    g.json_twin = query_url(url_for("api.search"), args)
    req = SearchRequest.from_params(request.args)
    result = service().search(req, facet_limit=FACET_LIMIT)
    typed_url = None
    if result.corrected_from is not None:  # answered with the suggestion: links follow it
        typed_url = search_url(replace(req, page=1, as_typed=True))
        req = result.request
    found = chips(result)
    params = req.to_params()
    feed_params = [(k, v) for k, v in params if k not in ("sort", "page", "per_page")]
    compact = len(search_url(req)) > MAX_LINK_URL  # see hit_view
    first = (req.page - 1) * req.per_page + 1
    hits = [hit_view(req, h, compact) for h in result.hits]
    for position, h in enumerate(hits, first):
        # the article keeps this search (and the hit's place in it) unless that is huge
        h["position"] = position
        h["url"] = article_url(h["hit"].id, None if compact else req, position)
    return render_template(
        "search.html", req=req, result=result, json_twin=g.json_twin,
        hits=hits,
        facets=facet_view(result), chips=found, dates=date_facet(result),
        timeline=timeline_view(result), relax=relaxations(result, found),
        clear_all=search_url(SearchRequest(q=req.q, sort=req.sort, per_page=req.per_page)),
        pages=pagination(result),
        sorts=sort_links(req),
        collapse_url=search_url(replace(req, collapse=not req.collapse, page=1)),
        suggestion_url=(search_url(replace(req, q=result.suggestion, page=1))
                        if result.suggestion else None),
        typed_url=typed_url,
        first=first,
        default_per_page=DEFAULT_PER_PAGE,
        feeds={"atom": query_url(url_for("feeds.atom"), feed_params),
               "csv": query_url(url_for("feeds.csv_export"), params),
               "jsonl": query_url(url_for("feeds.jsonl_export"), params)},
    )


# --- the article page -------------------------------------------------------------------------

def article_url(article_id: str, req: SearchRequest | None = None, position: int = 0) -> str:
    """The article page; with ``req``, carrying that search (its page left out) and the
    hit's 1-based ``position`` in it, so the page can lead back and to its neighbours."""
    path = url_for("pages.article", article_id=article_id)
    if req is None or not position:
        return path
    return query_url(path, [*replace(req, page=1).to_params(), ("hit", str(position))])


def search_context(args, article_id: str) -> dict[str, Any] | None:
    """The search an article was opened from (``?q=…&hit=N``): the results page to go
    back to, the previous and next results, and the query to mark.  None without one;
    a context that no longer parses is dropped (the article still shows)."""
    if "hit" not in args:
        return None
    try:
        req = SearchRequest.from_params(args)
        position = int(args.get("hit", ""))
    except (BadRequest, ValueError):
        return None
    per_page = req.per_page
    if not 1 <= position <= MAX_PAGE * per_page:
        return None
    page = (position - 1) // per_page + 1
    req = replace(req, page=page)

    def page_hits(n: int):
        result = service().search(replace(req, page=n), facet_limit=0, timeline=False)
        return result.total, result.hits

    total, hits = page_hits(page)
    at = position - 1 - (page - 1) * per_page
    context = {"back_url": search_url(req) + f"#hit-{position}", "position": position,
               "total": total, "q": req.q, "query": req.query, "prev": None, "next": None}
    if at >= len(hits) or hits[at].id != article_id:
        return context  # the results changed since: back still works, neighbours don't
    before = after = None
    if at > 0:
        before = hits[at - 1]
    elif page > 1:
        before = (page_hits(page - 1)[1][-1:] or [None])[0]
    if at + 1 < len(hits):
        after = hits[at + 1]
    elif position < total and page < MAX_PAGE:
        after = (page_hits(page + 1)[1][:1] or [None])[0]
    if before is not None:
        context["prev"] = {"url": article_url(before.id, req, position - 1),
                           "title": before.title or "(untitled)"}
    if after is not None:
        context["next"] = {"url": article_url(after.id, req, position + 1),
                           "title": after.title or "(untitled)"}
    return context


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def marked_paragraphs(title: str, body: str, year: int | None = None,
                      matches: list[tuple[int, int]] = ()) -> list[list[dict]]:
    """The body's paragraphs as segments ``{"text", "kind", "label", "match"}``; ``kind``
    is "country" or "official" for the spans ``entities.extract`` gives as evidence, else
    None; ``match`` numbers (from 1) the segments holding one of ``matches`` (the query's
    words in the body), else None.

    Evidence offsets index ``title + "\\n\\n" + body``; overlapping spans keep the first
    (officials win ties, being the longer, more specific mention).  A query word inside
    an entity's span marks that whole span as a match.
    """
    title, body = title or "", body or ""
    found = extract(title, body, year=year)
    offset = len(title) + 2
    spans = []
    for o in found.officials:
        label = official_label(o.official())
        spans += [(s - offset, e - offset, "official", label) for s, e, _ in o.evidence]
    for c in found.countries:
        spans += [(s - offset, e - offset, "country", c.name) for s, e, _ in c.evidence]
    spans.sort(key=lambda s: (s[0], s[2] != "official", -s[1]))
    kept, end = [], 0
    for s in spans:
        if s[0] >= end and 0 <= s[0] < s[1] <= len(body):
            kept.append((*s, False))
            end = s[1]
    if matches:
        kept = _with_matches(kept, matches)
    paragraphs = []
    bounds = [(m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(body)]
    starts = [0] + [e for _, e in bounds]
    ends = [s for s, _ in bounds] + [len(body)]
    number = 0
    for p_start, p_end in zip(starts, ends):
        segments, cursor = [], p_start
        for s, e, kind, label, match in kept:
            if s < p_start or e > p_end:
                continue
            if s > cursor:
                segments.append({"text": body[cursor:s], "kind": None, "label": None,
                                 "match": None})
            if match:
                number += 1
            segments.append({"text": body[s:e], "kind": kind, "label": label,
                             "match": number if match else None})
            cursor = e
        if p_end > cursor:
            segments.append({"text": body[cursor:p_end], "kind": None, "label": None,
                             "match": None})
        if "".join(seg["text"] for seg in segments).strip():
            paragraphs.append(segments)
    return paragraphs


def _with_matches(kept: list[tuple], matches: list[tuple[int, int]]) -> list[tuple]:
    """``kept`` entity spans (sorted, disjoint) with the query-word spans merged in: an
    entity holding a word becomes a match, a word outside every entity a span of its own."""
    out, i = [], 0
    entities = list(kept)
    for s, e in sorted(matches):
        while i < len(entities) and entities[i][1] <= s:
            out.append(entities[i])
            i += 1
        if i < len(entities) and entities[i][0] < e:  # overlaps the next entity
            entities[i] = (*entities[i][:4], True)
            continue
        if out and out[-1][1] > s:  # overlaps the one just passed
            continue
        out.append((s, e, None, None, True))
    return out + entities[i:]


@bp.get("/article/<path:article_id>")
def article(article_id: str):
    """One article in full, its countries and officials marked and linking to searches.

    :raise 404: no article with that id (``NotFound``).
    """
    g.json_twin = url_for("api.article", article_id=article_id)
    art = service().article(article_id)
    year = art.published.year if art.published else None
    url = art.url if art.url.strip().lower().startswith(SAFE_SCHEMES) else None
    similar = [h for h in service().more_like(art.id, MORE_LIKE + 1) if h.id != art.id]
    context = search_context(request.args, art.id)
    matches = match_spans(art.body or "", context["query"]) if context else []
    paragraphs = marked_paragraphs(art.title, art.body, year, matches)
    return render_template(
        "article.html", article=art, paragraphs=paragraphs, context=context,
        match_count=sum(1 for p in paragraphs for seg in p if seg["match"]),
        original_url=url, json_twin=g.json_twin,
        countries=[{"code": c, "name": country_name(c), "mentions": art.country_mentions.get(c),
                    "url": search_url(SearchRequest(country=(c,)))} for c in art.countries],
        officials=[{"name": o.name, "label": official_label(o),
                    "url": search_url(SearchRequest(official=(o.name,)))} for o in art.officials],
        similar=similar[:MORE_LIKE],
    )
