"""The JSON API: the twin of every page, with the same parameters.

Errors answer ``{"error": message, "status": code}`` (see ``webapp.create_app``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from indexer import SearchRequest
from indexer.entities import country_name

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


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    """The article's JSON form plus ``country_names`` (code -> name).

    :raise 404: no article with that id.
    """
    art = service().article(article_id)
    data = art.to_json()
    data["country_names"] = {code: country_name(code) for code in art.countries}
    return jsonify(data)


@bp.get("/stats")
def stats():
    """Counts of articles, indexed documents and facet values (``newsdesk stats --json``)."""
    return jsonify(service().stats())
