"""Feeds and exports of any search: Atom, CSV, JSON Lines, and the OpenSearch description.

Every route takes the search page's parameters.  XML is built with ElementTree, so
every text (titles, snippets, sources) is escaped by the serializer, never by hand.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from itertools import chain
from datetime import datetime, timezone
from urllib.parse import quote
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, stream_with_context

from indexer import SearchRequest
from indexer.articles import iso
from indexer.search import MAX_PER_PAGE, hit_json

from . import external_url, query_url, service

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
EXPORT_MAX = 1000       # rows in a CSV / JSON Lines export
FEED_ENTRIES = 20       # entries in an Atom feed unless per_page says otherwise
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _xml_text(value: str | None) -> str:
    """Text safe to put in XML: characters XML 1.0 forbids are dropped."""
    return _XML_ILLEGAL.sub("", value or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml_text(text)
    return el


def _params() -> list[tuple[str, str]]:
    return list(request.args.items(multi=True))


def export_hits(req: SearchRequest, limit: int | None = None,
                per_page: int = MAX_PER_PAGE) -> Iterator:
    """Up to ``limit`` (default ``EXPORT_MAX``; 0: every one) hits of ``req`` in its
    sort order, asking the service for ``per_page`` at a time."""
    limit = EXPORT_MAX if limit is None else limit or float("inf")
    page = 1
    sent = 0
    while sent < limit:
        # an export is of articles: every copy of a story is a row of its own
        result = service().search(replace(req, page=page, per_page=per_page, collapse=False),
                                  facet_limit=0, timeline=False)
        for hit in (result.hits if limit == float("inf") else result.hits[:limit - sent]):
            yield hit
            sent += 1
        if page >= result.pages or not result.hits:
            return
        page += 1


@bp.get("/search.atom")
def atom():
    """An Atom feed of a search, newest first (``per_page`` entries, default 20).

    :raise 400: a bad parameter.
    """
    req = SearchRequest.from_params(request.args)
    per_page = req.per_page if "per_page" in request.args else FEED_ENTRIES
    req = replace(req, sort="newest", page=1, per_page=per_page)
    result = service().search(req, facet_limit=0, timeline=False)
    params = [(k, v) for k, v in req.to_params() if k not in ("sort", "per_page")]
    page_url = query_url(external_url("pages.search"), params)
    self_url = query_url(external_url("feeds.atom"), params)
    what = f"“{req.q}”" if req.q else "all articles"

    feed = ET.Element("feed", {"xmlns": ATOM})
    _sub(feed, "title", f"newsdesk: {what}")
    noun = "article" if result.total == 1 else "articles"
    _sub(feed, "subtitle", f"{result.total:,} matching {noun}, newest first")
    _sub(feed, "id", self_url)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    newest = max((h.published for h in result.hits if h.published), default=None)
    _sub(feed, "updated", iso(newest or datetime(1970, 1, 1, tzinfo=timezone.utc)))
    _sub(_sub(feed, "author"), "name", "newsdesk")
    _sub(feed, "generator", "newsdesk")
    for hit in result.hits:
        link = external_url("pages.article", article_id=hit.id)
        entry = _sub(feed, "entry")
        _sub(entry, "title", hit.title or "(untitled)")
        _sub(entry, "id", link)
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        if hit.url.strip().lower().startswith(("http://", "https://")):
            _sub(entry, "link", rel="related", type="text/html", href=hit.url)
        stamp = iso(hit.published or datetime(1970, 1, 1, tzinfo=timezone.utc))
        _sub(entry, "updated", stamp)
        if hit.published:
            _sub(entry, "published", stamp)
        if hit.source:
            _sub(_sub(entry, "author"), "name", hit.source)
        # the snippet is HTML (escaped text + <mark>): as type="html" it is escaped once more
        _sub(entry, "summary", hit.snippet or "", type="html")
        for code in hit.countries:
            _sub(entry, "category", term=code, scheme="country")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body,
                    mimetype="application/atom+xml")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_CSV_FORMULA) else value


CSV_COLUMNS = ["id", "published", "source", "title", "url", "countries", "officials", "score",
               "link", "date", "snippet"]
CSV_PAGE = MAX_PER_PAGE  # hits fetched from the service per page while a CSV streams
_TAG = re.compile(r"<[^>]*>")


def _plain(snippet: str) -> str:
    """A hit's HTML snippet (escaped text, <mark>ed words) as plain text."""
    return html.unescape(_TAG.sub("", snippet or ""))


def export_filename(q: str, ext: str) -> str:
    """A ``Content-Disposition`` naming the file after the query: ASCII ``filename``,
    the words as typed in ``filename*`` (RFC 6266), "newsdesk-search" without a query."""
    words = re.sub(r"[^\w]+", "-", q).strip("-_")[:60].strip("-_")
    ascii_words = re.sub(r"[^A-Za-z0-9]+", "-", words).strip("-")
    name = f"newsdesk-{ascii_words or 'search'}.{ext}"
    header = f'attachment; filename="{name}"'
    if words and words != ascii_words:
        header += f"; filename*=UTF-8''{quote(f'newsdesk-{words}.{ext}', safe='')}"
    return header


@bp.get("/search.csv")
def csv_export():
    """Every hit of a search as CSV, streamed page by page, in the search's sort order.

    Columns: ``CSV_COLUMNS`` (``link`` is the article's page here, ``url`` the
    original); the file is named after the query.
    :raise 400: a bad parameter.
    """
    req = SearchRequest.from_params(request.args)
    hits = export_hits(req, limit=0, per_page=CSV_PAGE)
    first = next(hits, None)  # the first page before any byte: a bad query is still a 400

    def rows() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for hit in chain([first] if first else [], hits):
            writer.writerow([_cell(v) for v in (
                hit.id, iso(hit.published) or "", hit.source, hit.title, hit.url,
                " ".join(hit.countries), "; ".join(o.get("name", "") for o in hit.officials),
                "" if hit.score is None else f"{hit.score:.4f}",
                external_url("pages.article", article_id=hit.id),
                hit.published.date().isoformat() if hit.published else "",
                _plain(hit.snippet))])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": export_filename(req.q, "csv")})


@bp.get("/search.jsonl")
def jsonl_export():
    """A search's results as JSON Lines, one hit (the API's hit shape) a line (≤ 1000).

    :raise 400: a bad parameter.
    """
    req = SearchRequest.from_params(request.args)
    lines = [json.dumps(hit_json(hit), ensure_ascii=False) + "\n" for hit in export_hits(req)]
    return Response("".join(lines), mimetype="application/x-ndjson",
                    headers={"Content-Disposition":
                             'attachment; filename="newsdesk-search.jsonl"'})


@bp.get("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so browsers can add newsdesk as a search engine."""
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH})
    _sub(root, "ShortName", "newsdesk")
    _sub(root, "Description", "Search news by keyword, country and government official")
    _sub(root, "InputEncoding", "UTF-8")
    base = external_url("pages.search")
    _sub(root, "Url", type="text/html", method="get", template=f"{base}?q={{searchTerms}}")
    _sub(root, "Url", type="application/atom+xml",
         template=external_url("feeds.atom") + "?q={searchTerms}")
    _sub(root, "Url", type="application/json",
         template=external_url("api.search") + "?q={searchTerms}")
    body = ET.tostring(root, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body,
                    mimetype="application/opensearchdescription+xml")
