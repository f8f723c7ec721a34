"""The JSON API: the twin of every page, with the same parameters.

Errors answer ``{"error": message, "status": code}`` (see ``webapp.create_app``).
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, jsonify, request

from indexer import NotFound, SearchRequest
from indexer.articles import iso
from indexer.entities import country_name
from indexer.search import FACETS

from . import service

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """The search result in the shape of CONTRACTS.md; same parameters as ``/``.

    :raise 400: a bad parameter.
    :raise 503: no index yet.
    """
    req = SearchRequest.from_params(request.args)
    return jsonify(service().search(req).to_json())


@bp.get("/facets/<name>")
def facet(name: str):
    """Every value of one facet (country, official, source) with its count, for the
    same parameters as ``/api/search``; the facet's own filter is not applied to it.

    :raise 404: no such facet.
    """
    if name not in FACETS:
        raise NotFound(f"no facet {name!r}: choose one of {', '.join(FACETS)}")
    req = replace(SearchRequest.from_params(request.args), page=1, per_page=1)
    result = service().search(req, facet_limit=None, timeline=False)
    values = result.facets[name]
    return jsonify({"facet": name, "query": req.q, "total": result.total,
                    "values": [{**v.to_json(), "selected": v.selected} for v in values]})


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    """The article's JSON form plus ``country_names`` (code -> name) and ``more_like``.

    :raise 404: no article with that id.
    """
    svc = service()
    art = svc.article(article_id)
    data = art.to_json()
    data["country_names"] = {code: country_name(code) for code in art.countries}
    data["more_like"] = [{"id": h.id, "title": h.title, "source": h.source,
                          "published": iso(h.published)}
                         for h in svc.more_like(art.id, 6) if h.id != art.id][:5]
    return jsonify(data)


@bp.get("/stats")
def stats():
    """Counts of articles, indexed documents and facet values (``newsdesk stats --json``)."""
    return jsonify(service().stats())
