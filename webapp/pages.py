"""HTML pages: the search page and the article page, each linking its JSON twin.

Views parse the request with ``SearchRequest.from_params`` and call the one
``SearchService``; this module only turns the result into links and labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, g, render_template, request, url_for

from indexer import Official, SearchRequest, SearchResult
from indexer.entities import country_name, official_label
from indexer.search import DEFAULT_PER_PAGE, SORTS

from . import query_url, service

bp = Blueprint("pages", __name__)

FACET_TITLES = {"country": "Country", "official": "Official", "source": "Source"}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
SAFE_SCHEMES = ("http://", "https://")


def search_url(req: SearchRequest) -> str:
    """The search page for ``req``."""
    return query_url(url_for("pages.search"), req.to_params())


def with_filter(req: SearchRequest, facet: str, value: str) -> SearchRequest:
    """``req`` with ``value`` in ``facet`` (kept if already there), back on page 1."""
    if value in getattr(req, facet):
        return replace(req, page=1)
    return req.toggled(facet, value)


@dataclass
class Chip:
    """An active filter, shown with a link that removes it."""

    kind: str
    label: str
    remove_url: str


@dataclass
class PageLink:
    label: str
    url: str | None  # None: the current page or a gap
    current: bool = False
    rel: str | None = None


def facet_view(result: SearchResult) -> list[dict[str, Any]]:
    """Each facet with its values' toggle URLs (datasette-style buckets)."""
    req = result.request
    return [{
        "name": name,
        "title": FACET_TITLES.get(name, name.title()),
        "values": [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected,
                    "toggle_url": search_url(req.toggled(name, v.value))}
                   for v in values],
    } for name, values in result.facets.items()]


def chips(result: SearchResult) -> list[Chip]:
    req = result.request
    labels = {(name, v.value): v.label for name, values in result.facets.items() for v in values}
    found = []
    for name in ("country", "official", "source"):
        for value in getattr(req, name):
            label = labels.get((name, value)) or service().label(name, value)
            found.append(Chip(FACET_TITLES[name], label, search_url(req.toggled(name, value))))
    if req.date_from:
        found.append(Chip("From", req.date_from.isoformat(),
                          search_url(replace(req, date_from=None, page=1))))
    if req.date_to:
        found.append(Chip("To", req.date_to.isoformat(),
                          search_url(replace(req, date_to=None, page=1))))
    return found


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


def hit_view(req: SearchRequest, hit) -> dict[str, Any]:
    return {
        "hit": hit,
        "countries": [{"code": c, "name": country_name(c), "selected": c in req.country,
                       "url": search_url(with_filter(req, "country", c))} for c in hit.countries],
        "officials": [{"name": o.get("name", ""),
                       "label": official_label(Official(o.get("name", ""), o.get("role", ""),
                                                        o.get("country", ""))),
                       "selected": o.get("name") in req.official,
                       "url": search_url(with_filter(req, "official", o.get("name", "")))}
                      for o in hit.officials if o.get("name")],
    }


@bp.get("/")
def search():
    """The search page; same parameters as ``/api/search``.

    :raise 400: a bad parameter (``BadRequest``).
    :raise 503: no index yet (``IndexUnavailable``).
    """
    g.json_twin = query_url(url_for("api.search"), list(request.args.items(multi=True)))
    req = SearchRequest.from_params(request.args)
    result = service().search(req)
    hidden = [(k, v) for k, v in req.to_params()
              if k not in ("q", "sort", "from", "to", "page")]
    clear_all = search_url(SearchRequest(q=req.q, sort=req.sort, per_page=req.per_page))
    return render_template(
        "search.html", req=req, result=result, json_twin=g.json_twin,
        hits=[hit_view(req, h) for h in result.hits],
        facets=facet_view(result), chips=chips(result), clear_all=clear_all,
        hidden=hidden, pages=pagination(result),
        sorts=[{"value": s, "label": SORT_LABELS[s], "current": s == req.sort,
                "url": search_url(replace(req, sort=s, page=1))} for s in SORTS],
        suggestion_url=(search_url(replace(req, q=result.suggestion, page=1))
                        if result.suggestion else None),
        first=(req.page - 1) * req.per_page + 1,
        default_per_page=DEFAULT_PER_PAGE,
    )


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@bp.get("/article/<path:article_id>")
def article(article_id: str):
    """One article in full, with its countries and officials linking to searches.

    :raise 404: no article with that id (``NotFound``).
    """
    g.json_twin = url_for("api.article", article_id=article_id)
    art = service().article(article_id)
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(art.body) if p.strip()]
    url = art.url if art.url.lower().startswith(SAFE_SCHEMES) else None
    return render_template(
        "article.html", article=art, paragraphs=paragraphs, original_url=url,
        json_twin=g.json_twin,
        countries=[{"code": c, "name": country_name(c),
                    "url": search_url(SearchRequest(country=(c,)))} for c in art.countries],
        officials=[{"name": o.name, "label": official_label(o),
                    "url": search_url(SearchRequest(official=(o.name,)))} for o in art.officials],
    )
