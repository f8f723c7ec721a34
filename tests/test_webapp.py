"""The web app: search and article pages, their JSON twins, errors and escaping."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from indexer import SearchRequest, SearchService
from tests.conftest import make_data_dir
from webapp import create_app

CONTRACT_KEYS = {"query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion"}
HIT_KEYS = {"id", "url", "title", "source", "published", "countries", "officials", "score",
            "snippet"}

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
EVIL_ARTICLES = [
    {"id": "evil", "url": "javascript:alert(1)", "source": f"Evil {XSS_SCRIPT}",
     "title": f"Breaking {XSS_SCRIPT} news {XSS_IMG}",
     "body": f"Paragraph one mentions Lebanon and a {XSS_SCRIPT} tag.\n\n"
             f"Paragraph two has {XSS_IMG} in it.",
     "authors": [XSS_IMG], "published": "2024-09-26", "countries": ["LB"],
     "officials": [{"name": f"Mr {XSS_SCRIPT}", "role": XSS_IMG, "country": "LB"}]},
    {"id": "slashed/id 1", "url": "https://example.org/ok", "source": "Example News",
     "title": "An ordinary article about Lebanon", "body": "Nothing odd here.",
     "published": "2024-09-27", "countries": ["LB"]},
]


class Page(HTMLParser):
    """The links, alternates and visible text of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []   # {"href", "class", "text", "aria-label"}
        self.alternates: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            link = {**attrs, "text": ""}
            self.links.append(link)
            self._open.append(link)
        elif tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append(attrs)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            link = self._open.pop()
            link["text"] = " ".join(link["text"].split())

    def handle_data(self, data):
        for link in self._open:
            link["text"] += data

    def link(self, text: str, cls: str | None = None) -> dict:
        found = [a for a in self.links
                 if text in a["text"] and (cls is None or cls in (a.get("class") or "").split())]
        assert found, f"no link {text!r} (class {cls!r})"
        return found[0]

    def json_twin(self) -> str:
        [alt] = [a for a in self.alternates if a.get("type") == "application/json"]
        return alt["href"]


def params(href: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(href).query)


@pytest.fixture
def app(data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir.root)})
    yield app
    app.extensions["newsdesk"].engine.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def evil_client(tmp_path):
    data = make_data_dir(tmp_path / "evil", articles=EVIL_ARTICLES)
    app = create_app({"TESTING": True, "DATA_DIR": str(data.root)})
    yield app.test_client()
    app.extensions["newsdesk"].engine.close()


def html_of(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


# --- the search page -------------------------------------------------------------------------

def test_search_page_shows_results(client):
    response = client.get("/?q=ground+invasion")
    assert response.status_code == 200
    page = Page(html_of(response))
    title = page.link("US opposes Israeli ground invasion of Lebanon")
    assert title["href"] == "/article/a1"
    text = html_of(response)
    assert "<mark>ground</mark> <mark>invasion</mark>" in text
    assert "Example News" in text and "24 Sep 2024" in text
    assert "1 article for “ground invasion”" in text
    assert 'id="q"' in text and "autofocus" in text and '<label for="q">' in text


def test_country_facet_shows_names_with_counts(client, service):
    page = Page(html_of(client.get("/")))
    lebanon = page.link("Lebanon", cls="facet__link")
    assert dict(params(lebanon["href"])) == {"country": "LB"}
    text = html_of(client.get("/"))
    assert ('<span class="facet__label">Lebanon</span>\n        </a>\n'
            '        <span class="facet__count">2</span>') in text
    counts = {v.label: v.count for v in service.search(SearchRequest()).facets["country"]}
    assert counts["Lebanon"] == 2
    assert "Lloyd Austin — Defense Secretary, US" in text
    assert ">LB<" not in text  # codes never shown as labels


def test_toggling_a_country_narrows_and_shows_a_removable_chip(client):
    text = html_of(client.get("/?q=israeli"))
    assert "2 articles for “israeli”" in text and "chip__remove" not in text
    link = Page(text).link("United States", cls="facet__link")
    assert params(link["href"]) == [("q", "israeli"), ("country", "US")]
    text = html_of(client.get(link["href"]))
    assert "1 article for “israeli”" in text
    page = Page(text)
    assert [a["text"] for a in page.links if a["href"].startswith("/article/")] == [
        "US opposes Israeli ground invasion of Lebanon"]
    chip = page.link("×", cls="chip__remove")
    assert chip["aria-label"] == "Remove filter Country: United States"
    assert params(chip["href"]) == [("q", "israeli")]
    selected = page.link("United States", cls="facet__link")
    assert selected["aria-current"] == "true" and selected["href"] == chip["href"]
    assert 'type="hidden" name="country" value="US"' in text  # the form keeps the filter
    clear = page.link("Clear all filters")
    assert params(clear["href"]) == [("q", "israeli")]
    assert "2 articles" in html_of(client.get(chip["href"]))


def test_hit_tags_add_filters(client):
    page = Page(html_of(client.get("/?q=ground+invasion")))
    tag = page.link("Lloyd Austin", cls="tag")
    assert params(tag["href"]) == [("q", "ground invasion"), ("official", "Lloyd Austin")]
    tag = page.link("Israel", cls="tag")
    assert params(tag["href"]) == [("q", "ground invasion"), ("country", "IL")]


def test_sort_dates_and_pagination(client):
    text = html_of(client.get("/?per_page=2&sort=oldest&from=2024-01-01"))
    page = Page(text)
    assert "1–2 of 5 articles" in text
    assert '<option value="oldest" selected>' in text
    assert 'name="from" type="date" value="2024-01-01"' in text
    assert 'type="hidden" name="per_page" value="2"' in text
    nxt = page.link("Next")
    assert dict(params(nxt["href"]))["page"] == "2"
    assert page.link("3")["href"]
    newest = page.link("Newest first")
    assert ("sort", "newest") in params(newest["href"])
    titles = [a["text"] for a in page.links if a["href"].startswith("/article/")]
    assert titles == ["Bank of Japan holds interest rates", "German inflation eases in spring"]
    last = html_of(client.get("/?per_page=2&page=3"))
    assert "5–5 of 5" in last and "Previous" in last


def test_did_you_mean_and_no_results(client):
    text = html_of(client.get("/?q=invasoin"))
    assert "Did you mean" in text
    assert Page(text).link("invasion")["href"] == "/?q=invasion"
    text = html_of(client.get("/?q=hezbollah&country=JP"))
    assert "No articles found" in text
    assert "Try removing a filter" in text


# --- the JSON API ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "q=ground+invasion",
    "q=interest+rates&country=JP",
    "country=LB&country=IL&sort=newest",
    "q=japan&source=Example+News&from=2024-01-01&to=2024-12-31&per_page=1&page=2",
])
def test_api_search_matches_the_service(client, service, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert CONTRACT_KEYS <= data.keys()
    for hit in data["hits"]:
        assert HIT_KEYS <= hit.keys()
    assert set(data["facets"]) == {"country", "official", "source"}
    expected = service.search(SearchRequest.from_params(MultiDict(parse_qsl(query)))).to_json()
    data.pop("took_ms")
    expected.pop("took_ms")
    assert data == expected


def test_api_search_contract_example(client):
    data = client.get("/api/search?q=ground+invasion").get_json()
    assert data["query"] == "ground invasion" and data["total"] == 1
    assert data["page"] == 1 and data["per_page"] == 10 and data["suggestion"] is None
    [hit] = data["hits"]
    assert hit["id"] == "a1" and hit["published"] == "2024-09-24T00:00:00+00:00"
    assert hit["officials"][0] == {"name": "Lloyd Austin", "role": "Defense Secretary",
                                   "country": "US"}
    assert {"value": "LB", "label": "Lebanon", "count": 1} in data["facets"]["country"]


def test_api_article_and_stats(client):
    data = client.get("/api/articles/a1").get_json()
    assert data["id"] == "a1" and data["title"].startswith("US opposes")
    assert data["country_names"] == {"US": "United States", "IL": "Israel", "LB": "Lebanon"}
    stats = client.get("/api/stats").get_json()
    assert stats["articles"] == 5 and stats["indexed"] == 5


# --- the article page ------------------------------------------------------------------------

def test_article_page(client):
    response = client.get("/article/a1")
    assert response.status_code == 200
    text = html_of(response)
    page = Page(text)
    assert "<h1>US opposes Israeli ground invasion of Lebanon</h1>" in text
    assert page.link("Read the original article")["href"] == "https://news.example.org/a1"
    assert params(page.link("Lebanon")["href"]) == [("country", "LB")]
    assert params(page.link("Yoav Gallant — Defense Minister, IL")["href"]) == [
        ("official", "Yoav Gallant")]
    assert "Example News" in text and "24 Sep 2024" in text


def test_article_paragraphs_authors_and_odd_ids(evil_client):
    text = html_of(evil_client.get("/article/evil"))
    assert text.count("<p>Paragraph") == 2
    response = evil_client.get("/article/slashed/id%201")
    assert response.status_code == 200
    assert Page(html_of(response)).json_twin() == "/api/articles/slashed/id%201"
    assert evil_client.get("/api/articles/slashed/id%201").get_json()["id"] == "slashed/id 1"
    page = Page(html_of(evil_client.get("/?q=ordinary")))
    assert page.link("An ordinary article")["href"] == "/article/slashed/id%201"


def test_unknown_article_is_404(client):
    response = client.get("/article/nope")
    assert response.status_code == 404
    text = html_of(response)
    assert "no article with id" in text and 'name="q"' in text
    response = client.get("/api/articles/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no article with id 'nope'", "status": 404}


def test_unknown_paths_are_styled_404s(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "/static/style.css" in html_of(response)
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ("page=-1", "page must be between 1 and 1000, got -1"),
    ("per_page=1000000000", "per_page must be between 1 and 100, got 1000000000"),
    ("sort=bogus", "sort must be one of relevance, newest, oldest, got 'bogus'"),
    ("from=notadate", "from must be a date like 2024-09-24, got 'notadate'"),
    ("page=two", "page must be a whole number, got 'two'"),
    ("from=2024-05-01&to=2024-01-01", "from (2024-05-01) is after to (2024-01-01)"),
], ids=["page", "per_page", "sort", "from", "page-word", "from-after-to"])
def test_bad_params_are_400s_with_a_clear_message(client, query, message):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"error": message, "status": 400}
    response = client.get(f"/?q=lebanon&{query}")
    assert response.status_code == 400
    text = html_of(response)
    assert message.replace("'", "&#39;") in text
    assert 'value="lebanon"' in text  # a search box to try again
    assert Page(text).json_twin().startswith("/api/search?q=lebanon")


# --- escaping --------------------------------------------------------------------------------

def test_query_is_escaped(client):
    evil = '"><script>alert(1)</script>'
    response = client.get("/", query_string={"q": evil})
    assert response.status_code == 200
    assert "<script>alert(1)" not in html_of(response)
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html_of(response)
    response = client.get("/api/search", query_string={"q": evil})
    assert response.mimetype == "application/json"  # JSON carries the text as data
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["query"] == evil
    text = html_of(client.get("/", query_string={"q": evil, "page": "0"}))
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_article_fields_are_escaped(evil_client):
    for url in ("/?q=breaking", "/?q=paragraph", "/", "/article/evil", "/?official=Mr+x",
                f"/?source=Evil+{XSS_SCRIPT}"):
        text = html_of(evil_client.get(url))
        assert "<script>alert(1)" not in text, url
        assert "<img src=x" not in text, url
    text = html_of(evil_client.get("/?q=breaking"))
    assert "Breaking &lt;script&gt;alert(1)&lt;/script&gt; news" in text
    text = html_of(evil_client.get("/?q=tag"))
    assert "a &lt;script&gt;alert(1)&lt;/script&gt; <mark>tag</mark>" in text


def test_javascript_url_gets_no_link(evil_client):
    text = html_of(evil_client.get("/article/evil"))
    assert "javascript:" not in text
    assert "Read the original article" not in text
    text = html_of(evil_client.get("/?q=breaking"))
    assert "javascript:" not in text


# --- no index --------------------------------------------------------------------------------

def test_empty_data_dir_is_503(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "empty")})
    client = app.test_client()
    response = client.get("/?q=lebanon")
    assert response.status_code == 503
    text = html_of(response)
    assert "no index yet" in text and "newsdesk index" in text and 'name="q"' in text
    response = client.get("/api/search?q=lebanon")
    assert response.status_code == 503
    assert response.get_json() == {"error": "no index yet: run `newsdesk index` first",
                                   "status": 503}


# --- JSON twins ------------------------------------------------------------------------------

@pytest.mark.parametrize("url, twin", [
    ("/", "/api/search"),
    ("/?q=ground+invasion&country=LB&sort=newest", "/api/search?q=ground+invasion&country=LB&sort=newest"),
    ("/article/a1", "/api/articles/a1"),
])
def test_every_page_links_its_json_twin(client, url, twin):
    response = client.get(url)
    assert Page(html_of(response)).json_twin() == twin
    assert response.headers["Link"] == f'<{twin}>; rel="alternate"; type="application/json"'
    assert client.get(twin).mimetype == "application/json"


def test_pages_use_no_inline_script(client):
    for url in ("/?q=ground", "/article/a1", "/article/nope", "/?page=0"):
        text = client.get(url).get_data(as_text=True)
        assert "<script>" not in text and " on" + "click" not in text
        assert 'src="/static/app.js"' in text


def test_one_service_per_app(app):
    assert isinstance(app.extensions["newsdesk"], SearchService)
