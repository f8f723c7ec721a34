"""The newsdesk web app: the search site and its JSON twin.

``create_app(config)`` builds a Flask app over one data dir (``DATA_DIR``,
default ``indexer.DataDir.resolve()``) with one shared ``SearchService``::

    from webapp import create_app
    app = create_app({"DATA_DIR": "data"})
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from indexer import DataDir, NewsdeskError, SearchService

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


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory.

    :param config: Flask config overrides; ``DATA_DIR`` names the data dir.
    """
    app = Flask(__name__)
    app.config.from_mapping(DATA_DIR=None)
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False
    data = DataDir.resolve(app.config["DATA_DIR"])
    app.config["DATA_DIR"] = str(data.root)
    app.extensions["newsdesk"] = SearchService(data)

    from . import api, feeds, pages
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)

    app.add_template_filter(format_date, "date")
    app.add_template_global(query_url, "query_url")
    _register_errors(app)

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        alternate = g.get("json_twin")
        if alternate and response.mimetype == "text/html":
            response.headers.setdefault(
                "Link", f'<{alternate}>; rel="alternate"; type="application/json"')
        return response

    return app


def service() -> SearchService:
    """The app's one ``SearchService``."""
    from flask import current_app
    return current_app.extensions["newsdesk"]


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
    q = request.args.get("q", "") if request.path == "/" else ""
    json_twin = g.json_twin = _json_twin_for_error()
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
