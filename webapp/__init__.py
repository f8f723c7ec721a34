"""The newsdesk web app: the search site and its JSON twin.

``create_app(config)`` builds a Flask app over one data dir (``DATA_DIR``,
default ``indexer.DataDir.resolve()``) with one shared ``SearchService``::

    from webapp import create_app
    app = create_app({"DATA_DIR": "data", "BASE_URL": "https://news.example.org"})

``BASE_URL`` is the site's public root, the start of every absolute link (Atom ids
and links, the OpenSearch templates); never the request's ``Host`` header, which
the client chooses.  Default ``http://localhost``; ``newsdesk serve`` passes its
``--base-url`` (default: the bind address).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import BadRequest, DataDir, NewsdeskError, SearchService
from indexer.search import MAX_QUERY_CHARS

# On every response.  No inline script or style anywhere: everything comes from /static.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# A JSON twin longer than this gets no ``Link`` header (the page still links it in
# its <head>): a header line must not grow with whatever query a client sends.
MAX_LINK_URL = 2000
# The raw query string, refused (400) before it is parsed: the caps of SearchRequest
# count parameters and characters, this bounds the bytes (percent-encoding triples
# them) that parsing and counting could cost.  The most the caps allow in ASCII fits.
MAX_QUERY_STRING = 48 * 1024
DEFAULT_BASE_URL = "http://localhost"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory.

    :param config: Flask config overrides; ``DATA_DIR`` names the data dir, ``ENGINE``
        the engine serving it (default ``$NEWSDESK_ENGINE`` or whoosh), ``BASE_URL``
        the public root of absolute links (checked by ``site_url``).
    """
    app = Flask(__name__)
    app.config.from_mapping(DATA_DIR=None, ENGINE=None, BASE_URL=None)
    if config:
        app.config.from_mapping(config)
    app.config["BASE_URL"] = site_url(app.config["BASE_URL"] or DEFAULT_BASE_URL)
    app.json.sort_keys = False
    data = DataDir.resolve(app.config["DATA_DIR"], app.config["ENGINE"])
    app.config["DATA_DIR"], app.config["ENGINE"] = str(data.root), data.engine
    app.extensions["newsdesk"] = SearchService(data)

    from . import api, feeds, pages
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)

    app.add_template_filter(format_date, "date")
    app.add_template_global(query_url, "query_url")
    _register_errors(app)

    @app.before_request
    def _bounded_query_string():
        if len(request.query_string) > MAX_QUERY_STRING:
            raise BadRequest(f"the query string is too long (at most {MAX_QUERY_STRING:,} "
                             f"bytes, got {len(request.query_string):,})")

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        alternate = g.get("json_twin")
        if alternate and len(alternate) <= MAX_LINK_URL and response.mimetype == "text/html":
            response.headers.setdefault(
                "Link", f'<{alternate}>; rel="alternate"; type="application/json"')
        return response

    return app


def service() -> SearchService:
    """The app's one ``SearchService``."""
    from flask import current_app
    return current_app.extensions["newsdesk"]


def site_url(url: str) -> str:
    """``url`` checked as a site root, ``http(s)://host[:port][/prefix]``, without a
    trailing slash.

    :raise ValueError: another scheme, no host, a query, a fragment or credentials.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a base URL is http(s)://host[:port][/path], got {url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"a base URL has no query, fragment or user, got {url!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"a base URL has a port from 1 to 65535, got {url!r}") from None
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` made absolute on the configured ``BASE_URL``
    (which stands for the host and any script root the request came through)."""
    from flask import current_app
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return current_app.config["BASE_URL"] + path


def query_url(endpoint_path: str, params: list[tuple[str, str]]) -> str:
    """``endpoint_path`` plus the query string of ``params`` (pairs, repeats kept)."""
    query = urlencode(params)
    return f"{endpoint_path}?{query}" if query else endpoint_path


def format_date(value: datetime | None, with_time: bool = False) -> str:
    """"24 Sep 2024" (and "15:19 UTC" when asked and not midnight); "" for none."""
    if not value:
        return ""
    text = f"{value.day} {value:%b %Y}"
    if with_time and (value.hour or value.minute):
        text += f", {value:%H:%M} UTC"
    return text


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _json_twin_for_error() -> str | None:
    """The JSON twin of the page that failed, so even error pages link it."""
    path = request.path
    if path == "/":
        return query_url("/api/search", list(request.args.items(multi=True)))
    if path.startswith("/article/") and len(path) > len("/article/"):
        return url_for("api.article", article_id=path[len("/article/"):])
    return None


def _error_response(status: int, message: str, title: str):
    if _is_api():
        response = jsonify({"error": message, "status": status})
        response.status_code = status
        return response
    oversized = len(request.query_string) > MAX_QUERY_STRING  # neither parsed nor echoed
    q = request.args.get("q", "")[:MAX_QUERY_CHARS] if request.path == "/" and not oversized else ""
    json_twin = g.json_twin = None if oversized else _json_twin_for_error()
    return render_template("error.html", status=status, title=title, message=message,
                           q=q, json_twin=json_twin), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(NewsdeskError)
    def _newsdesk_error(exc: NewsdeskError):
        status = getattr(exc, "status", 400)
        titles = {400: "Bad request", 404: "Not found", 503: "Search unavailable"}
        return _error_response(status, str(exc), titles.get(status, "Error"))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 404:
            message = f"there is nothing at {request.path}"
        elif status == 405:
            message = f"{request.method} is not allowed here"
        else:
            message = exc.description or exc.name
        if status >= 500:
            message = "something went wrong on our side; please try again"
        return _error_response(status, message, exc.name)

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError):
        app.logger.error("unhandled error on %s", request.path,
                         exc_info=getattr(exc, "original_exception", None))
        return _error_response(500, "something went wrong on our side; please try again",
                               "Server error")
