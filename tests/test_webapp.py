"""The web app: search and article pages, their JSON twins, errors and escaping."""
from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from indexer import SearchRequest, SearchService
from conftest import make_data_dir
from webapp import create_app, feeds

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
        self.inputs: list[dict] = []
        self.labels: dict[str, str] = {}  # for= id -> text
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            link = {**attrs, "text": ""}
            self.links.append(link)
            self._open.append(link)
        elif tag == "label" and attrs.get("for"):
            label = {"for": attrs["for"], "text": "", "label": True}
            self._open.append(label)
        elif tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append(attrs)
        elif tag == "input":
            self.inputs.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("a", "label") and self._open:
            item = self._open.pop()
            item["text"] = " ".join(item["text"].split())
            if item.get("label"):
                self.labels[item["for"]] = item["text"]

    def handle_data(self, data):
        for link in self._open:
            link["text"] += data

    def link(self, text: str, cls: str | None = None) -> dict:
        found = [a for a in self.links
                 if text in a["text"] and (cls is None or cls in (a.get("class") or "").split())]
        assert found, f"no link {text!r} (class {cls!r})"
        return found[0]

    def checkbox(self, label: str) -> dict:
        """The checkbox whose label starts with ``label``, plus its ``"label"`` text."""
        found = [{**i, "label": self.labels.get(i.get("id"), "")} for i in self.inputs
                 if i.get("type") == "checkbox"
                 and self.labels.get(i.get("id"), "").startswith(label)]
        assert found, f"no checkbox labelled {label!r}"
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
    assert title["href"] == "/article/a1?q=ground+invasion&hit=1"  # keeps the search
    text = html_of(response)
    assert "<mark>ground</mark> <mark>invasion</mark>" in text
    assert "Example News" in text and "24 Sep 2024" in text
    assert "2 articles for “ground invasion”" in text
    assert "1 article contains all words; 1 more partial match follows." in text
    assert 'id="q"' in text and "autofocus" in text and '<label for="q">' in text


def test_country_facet_shows_names_with_counts(client, service):
    text = html_of(client.get("/"))
    page = Page(text)
    lebanon = page.checkbox("Lebanon")
    assert lebanon["name"] == "country" and lebanon["value"] == "LB"
    assert lebanon["form"] == "search" and "checked" not in lebanon
    assert 'form class="search-form search-form--main" id="search" action="/" method="get"' in text
    assert lebanon["label"] == "Lebanon 2 articles"  # the count is part of its name
    counts = {v.label: v.count for v in service.search(SearchRequest()).facets["country"]}
    assert counts["Lebanon"] == 2
    austin = page.checkbox("Lloyd Austin")
    assert austin["label"] == "Lloyd Austin, Defense Secretary, US 1 article"
    assert ">LB<" not in text  # codes never shown as labels
    source = page.checkbox("Continental Wire")
    assert source["name"] == "source" and source["value"] == "Continental Wire"


def test_toggling_a_country_narrows_and_shows_a_removable_chip(client):
    text = html_of(client.get("/?q=israeli"))
    assert "2 articles for “israeli”" in text and "chip__remove" not in text
    box = Page(text).checkbox("United States")
    assert (box["form"], box["name"], box["value"]) == ("search", "country", "US")
    text = html_of(client.get("/?q=israeli&country=US"))  # what ticking it submits
    assert "1 article for “israeli”" in text
    page = Page(text)
    assert [a["text"] for a in page.links if a["href"].startswith("/article/")] == [
        "US opposes Israeli ground invasion of Lebanon"]
    chip = page.link("×", cls="chip__remove")
    assert chip["aria-label"] == "Remove filter Country: United States"
    assert params(chip["href"]) == [("q", "israeli")]
    selected = page.checkbox("United States")
    assert "checked" in selected
    clear = page.link("Clear all filters")
    assert params(clear["href"]) == [("q", "israeli")]
    assert "2 articles" in html_of(client.get(chip["href"]))


def test_the_filters_control_links_down_to_the_facets_and_counts_active_filters(client):
    """On a phone the facets are far below: "Filters (n)" at the top links to them (JS
    turns it into a drawer)."""
    page = Page(html_of(client.get("/?q=israeli")))
    toggle = page.link("Filters", cls="filters-toggle__link")
    assert (toggle["text"], toggle["href"]) == ("Filters", "#refine")
    text = html_of(client.get("/?q=israeli&country=US&country=IL&from=2024-01-01"))
    assert Page(text).link("Filters (3)", cls="filters-toggle__link")["href"] == "#refine"
    assert 'id="refine"' in text


def test_several_values_or_within_a_facet_and_across_facets(client):
    page = Page(html_of(client.get("/?country=JP&country=DE")))
    assert "checked" in page.checkbox("Japan") and "checked" in page.checkbox("Germany")
    text = html_of(client.get("/?country=JP&country=DE"))
    assert "3 articles" in text  # a2, a3 (JP) or a4 (DE)
    # counts within the country facet ignore its own filter, so alternatives stay visible
    assert page.checkbox("Lebanon")
    text = html_of(client.get("/?country=JP&country=DE&source=Continental+Wire"))
    assert "1 article" in text and "German inflation eases in spring" in text
    chips = [a["aria-label"] for a in Page(text).links if "chip__remove" in (a.get("class") or "")]
    assert chips == ["Remove filter Country: Japan", "Remove filter Country: Germany",
                     "Remove filter Source: Continental Wire"]


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
    assert '<strong aria-current="true">Oldest first</strong>' in text
    assert 'type="hidden" name="sort" value="oldest"' in text  # a new query keeps the sort
    assert 'name="from" type="date" form="search" value="2024-01-01"' in text
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


def test_browsing_offers_no_relevance_sort(client):
    text = html_of(client.get("/"))
    nav = text[text.index('class="sort-links"'):text.index("</nav>", text.index('class="sort-links"'))]
    assert "Relevance" not in nav
    assert '<strong aria-current="true">Newest first</strong>' in nav
    assert params(Page(nav + "</nav>").link("Oldest first")["href"]) == [("sort", "oldest")]
    searched = html_of(client.get("/?q=rates"))
    assert '<strong aria-current="true">Relevance</strong>' in searched


def test_every_count_on_the_page_has_thousands_separators(tmp_path):
    many = [{"id": f"m{i}", "title": f"Story {i} about Lebanon", "body": "Beirut news.",
             "source": "Wire", "published": "2024-09-24", "countries": ["LB"]}
            for i in range(1001)]
    data = make_data_dir(tmp_path, articles=many)
    app = create_app({"TESTING": True, "DATA_DIR": str(data.root)})
    try:
        text = html_of(app.test_client().get("/"))
    finally:
        app.extensions["newsdesk"].engine.close()
    assert Page(text).checkbox("Lebanon")["label"] == "Lebanon 1,001 articles"
    assert 'timeline__peak">1,001<' in text and "24 Sep 2024: 1,001 articles" in text
    assert '<span class="facet__count">1,001</span>' in text  # the date facet
    assert not re.search(r">\s*1001\b|\b1001 article", text)


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


def test_api_filters_take_names_and_refuse_values_that_match_nothing(client):
    by_code = client.get("/api/search?country=LB").get_json()
    assert by_code["total"] == 2
    for value in ("Lebanon", "lebanon", "LBN"):
        assert client.get(f"/api/search?country={value}").get_json()["hits"] == by_code["hits"]
    assert client.get("/api/search?official=gallant").get_json()["total"] == 1
    response = client.get("/api/search?country=XX")
    assert response.status_code == 400
    error = response.get_json()
    assert error["status"] == 400 and error["error"].startswith("no country 'XX'; it has e.g. ")
    response = client.get("/api/search?q=rates&country=Japn")
    assert response.status_code == 400
    assert "did you mean Japan (JP)" in response.get_json()["error"]
    response = client.get("/api/search?official=Galant")
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        "no official 'Galant' in the index; did you mean 'Yoav Gallant'?")
    page = client.get("/?country=XX")  # the page says it too, escaped
    assert page.status_code == 400 and "no country &#39;XX&#39;" in html_of(page)
    assert client.get("/api/search?country=SA").get_json()["total"] == 0  # real, just absent


def test_api_search_contract_example(client):
    data = client.get("/api/search?q=ground+invasion").get_json()
    assert data["query"] == "ground invasion" and data["total"] == 2 and data["all_words"] == 1
    assert data["page"] == 1 and data["per_page"] == 10 and data["suggestion"] is None
    hit, partial = data["hits"]  # the article with every word first, then a partial match
    assert hit["id"] == "a1" and hit["published"] == "2024-09-24T00:00:00+00:00"
    assert partial["id"] == "a5"
    assert hit["officials"][0] == {"name": "Lloyd Austin", "role": "Defense Secretary",
                                   "country": "US"}
    assert {"value": "LB", "label": "Lebanon", "count": 2} in data["facets"]["country"]


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
    assert params(page.link("Lebanon", cls="entity")["href"]) == [("country", "LB")]
    assert params(page.link("Yoav Gallant — Defense Minister, IL", cls="entity")["href"]) == [
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
    assert page.link("An ordinary article")["href"] == "/article/slashed/id%201?q=ordinary&hit=1"


def test_an_article_opened_from_results_leads_back_and_to_its_neighbours(client):
    results = Page(html_of(client.get("/?q=israeli&per_page=1")))  # two results, two pages
    first = [a for a in results.links if a["href"].startswith("/article/")][0]
    assert params(first["href"]) == [("q", "israeli"), ("per_page", "1"), ("hit", "1")]
    page = Page(html_of(client.get(first["href"])))
    assert page.link("Results for “israeli”", cls="result-nav__back")["href"] == (
        "/?q=israeli&per_page=1#hit-1")
    assert not [a for a in page.links if "result-nav__prev" in (a.get("class") or "")]
    after = page.link("Next ›", cls="result-nav__next")  # across the page boundary
    assert params(after["href"])[-1] == ("hit", "2")
    text = html_of(client.get(after["href"]))
    assert "Result 2 of 2" in text
    second = Page(text)
    assert second.link("‹ Previous", cls="result-nav__prev")["href"] == first["href"]
    assert second.link("Results for", cls="result-nav__back")["href"] == (
        "/?q=israeli&page=2&per_page=1#hit-2")
    assert not [a for a in second.links if "result-nav__next" in (a.get("class") or "")]
    # the way back is the results page holding this article, anchored at its hit
    back = html_of(client.get(second.link("Results for")["href"].split("#")[0]))
    title = re.search(r"<h1>(.*?)</h1>", text).group(1)
    assert 'id="hit-2"' in back and Page(back).link(title)["href"] == after["href"]


def test_an_article_marks_the_searched_words_stemmed_too(client):
    text = html_of(client.get("/article/a1?q=invasions+ceasefire+-yen&hit=1"))
    assert '<mark class="match" id="m1">invasion</mark>' in text  # "invasions" stems alike
    assert '<mark class="match" id="m2">ceasefire</mark>' in text
    assert "2 matches for “invasions ceasefire -yen”" in text
    assert Page(text).link("Next match", cls="next-match")["href"] == "#m1"
    text = html_of(client.get("/article/a1?q=israeli+the&hit=1"))  # in an entity; no stop words
    assert '<mark class="country match" id="m1" title="Israel">Israeli</mark>' in text
    assert 'id="m2"' not in text
    plain = html_of(client.get("/article/a1"))  # no search: entities only, "← Search"
    assert 'class="match' not in plain and Page(plain).link("← Search")["href"] == "/"


@pytest.mark.parametrize("query", ["hit=abc&q=israeli", "hit=1&sort=bogus", "hit=0",
                                   "hit=999999999"])
def test_a_broken_search_context_still_shows_the_article(client, query):
    response = client.get(f"/article/a1?{query}")
    assert response.status_code == 200
    text = html_of(response)
    assert "<h1>US opposes Israeli ground invasion of Lebanon</h1>" in text
    assert "result-nav" not in text


def test_a_stale_position_keeps_the_way_back_but_no_neighbours(client):
    text = html_of(client.get("/article/a1?q=israeli&hit=2"))  # a1 is first, not second
    page = Page(text)
    assert page.link("Results for", cls="result-nav__back")["href"] == "/?q=israeli#hit-2"
    assert "result-nav__next" not in text and "result-nav__prev" not in text


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


def test_the_search_context_on_an_article_is_escaped(evil_client):
    query = urlencode({"q": f"news {XSS_SCRIPT} {XSS_IMG}", "hit": "1"})
    text = html_of(evil_client.get(f"/article/evil?{query}"))
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "Results for “news &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert '&lt;<mark class="match" id="m1">script</mark>&gt;' in text  # words marked, tags not


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


# --- security headers ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/?q=ground", "/article/a1", "/api/search?q=x",
                                 "/nope", "/?page=0", "/api/nope", "/search.atom",
                                 "/search.csv", "/opensearch.xml", "/static/style.css"])
def test_security_headers_on_every_response(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_use_no_inline_style_or_event_handlers(client):
    for url in ("/", "/?q=ground&country=LB", "/article/a1", "/nope", "/?q=zzzz"):
        text = client.get(url).get_data(as_text=True)
        assert " style=" not in text and "<style" not in text, url
        assert not re.search(r"\son[a-z]+=", text), url


# --- timeline and date facet -----------------------------------------------------------------

def test_timeline_bars_link_their_periods(client):
    text = html_of(client.get("/"))
    page = Page(text)
    bars = [a for a in page.links if "timeline__bar" in (a.get("class") or "")]
    # 19 Mar..25 Sep 2024 by ISO week; the empty weeks are drawn but are not links
    assert [a["aria-label"] for a in bars] == [
        "Week of 18 Mar 2024: 1 article", "Week of 29 Apr 2024: 2 articles",
        "Week of 23 Sep 2024: 2 articles"]
    assert text.count('class="timeline__bar timeline__bar--empty"') == 25
    assert "Articles per week" in text and "28 weeks, 18 Mar 2024 to 29 Sep 2024" in text
    soup = BeautifulSoup(text, "html.parser")
    ticks = [t.get_text() for t in soup.select(".timeline__tick")]
    assert ticks[0] == "18 Mar" and ticks[-1] == "23 Sep" and len(ticks) == 6
    assert soup.select_one(".timeline__peak").get_text() == "2"
    sep = bars[-1]
    assert params(sep["href"]) == [("from", "2024-09-23"), ("to", "2024-09-29")]
    assert (sep["data-from"], sep["data-to"]) == ("2024-09-23", "2024-09-29")
    text = html_of(client.get(sep["href"]))
    assert "2 articles" in text and "Lebanon braces for escalation" in text
    # the timeline keeps its whole span when dated, with the chosen period highlighted
    bars = [a for a in Page(text).links if "timeline__bar" in (a.get("class") or "")]
    assert len(bars) == 3 and "is-selected" in bars[-1]["class"]
    assert "is-dimmed" in bars[0]["class"]


def test_share_timeline_reads_matches_against_the_whole_archive(client):
    page = Page(html_of(client.get("/?q=japan")))
    share = page.link("Share of all articles", cls="timeline__mode")
    assert params(share["href"]) == [("q", "japan"), ("timeline", "share")]
    text = html_of(client.get(share["href"]))
    page = Page(text)
    assert "Share of all articles, per day" in text
    labels = [a["aria-label"] for a in page.links if "timeline__bar" in (a.get("class") or "")]
    assert labels == ["19 Mar 2024: 1 of 1 article (100%)", "2 May 2024: 1 of 1 article (100%)"]
    # 30 Apr holds an article, but not one about Japan: its share is 0, drawn as empty
    assert "30 Apr 2024: no articles" not in text
    assert BeautifulSoup(text, "html.parser").select_one(".timeline__peak").get_text() == "100%"
    # the choice survives a click on a bar, and the way back is a link
    back = page.link("Articles", cls="timeline__mode")
    assert params(back["href"]) == [("q", "japan")]


def test_timeline_is_daily_for_short_spans_and_keeps_filters(client):
    page = Page(html_of(client.get("/?q=lebanon&country=LB")))
    bars = [a for a in page.links if "timeline__bar" in (a.get("class") or "")]
    assert [b["aria-label"] for b in bars] == ["24 Sep 2024: 1 article", "25 Sep 2024: 1 article"]
    assert params(bars[0]["href"]) == [("q", "lebanon"), ("country", "LB"),
                                       ("from", "2024-09-24"), ("to", "2024-09-24")]


def test_date_facet_links_toggle_a_month(client):
    page = Page(html_of(client.get("/")))
    sep = page.link("Sep 2024", cls="facet__link")
    assert params(sep["href"]) == [("from", "2024-09-01"), ("to", "2024-09-30")]
    page = Page(html_of(client.get(sep["href"])))
    chosen = page.link("Sep 2024", cls="facet__link")
    assert chosen["aria-current"] == "true" and params(chosen["href"]) == []


# --- no results ------------------------------------------------------------------------------

def test_no_results_offers_filters_to_drop_with_their_counts(client):
    page = Page(html_of(client.get("/?q=hezbollah&country=JP")))
    drop = page.link("Drop “Country: Japan”", cls="relax")
    assert params(drop["href"]) == [("q", "hezbollah")]
    text = html_of(client.get("/?q=hezbollah&country=JP"))
    assert "Drop “Country: Japan”</a> — 1 article" in text


# --- facets API ------------------------------------------------------------------------------

def test_api_facet_lists_every_value(client, service):
    data = client.get("/api/facets/country?q=israeli&country=US").get_json()
    assert data["facet"] == "country" and data["query"] == "israeli"
    assert {"value": "US", "label": "United States", "count": 1, "selected": True} in data["values"]
    assert {"value": "LB", "label": "Lebanon", "count": 2, "selected": False} in data["values"]
    officials = client.get("/api/facets/official").get_json()["values"]
    expected = service.search(SearchRequest(), facet_limit=None).facets["official"]
    assert [v["value"] for v in officials] == [v.value for v in expected]
    response = client.get("/api/facets/colour")
    assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get("/api/facets/source?page=0").status_code == 400


def test_api_article_has_more_like_this(client):
    data = client.get("/api/articles/a1").get_json()
    assert data["more_like"] and all(m["id"] != "a1" for m in data["more_like"])


# --- feeds and exports -----------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_newest_first(client):
    response = client.get("/search.atom?q=interest+rates&sort=oldest")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == ["German inflation eases in spring", "Bank of Japan holds interest rates"]
    entry = next(feed.iter(f"{ATOM}entry"))
    assert entry.find(f"{ATOM}link").get("href") == "http://localhost/article/a4"
    assert "<mark>interest</mark>" in entry.findtext(f"{ATOM}summary")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith("/search.atom?q=interest+rates")
    page = Page(html_of(client.get("/?q=interest+rates")))
    [alt] = [a for a in page.alternates if a.get("type") == "application/atom+xml"]
    assert alt["href"] == "/search.atom?q=interest+rates"


def test_csv_and_jsonl_exports(client, monkeypatch):
    response = client.get("/search.csv?country=JP&sort=newest")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == ["a3", "a2"]
    assert rows[1]["officials"] == "Fumio Kishida" and rows[0]["countries"] == "JP US"
    response = client.get("/search.jsonl?q=interest+rates")
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert {line["id"] for line in lines} == {"a2", "a4"} and HIT_KEYS <= lines[0].keys()
    monkeypatch.setattr(feeds, "EXPORT_MAX", 3)  # JSON Lines is bounded; CSV has every row
    assert len(client.get("/search.jsonl").get_data(as_text=True).splitlines()) == 3
    assert len(client.get("/search.csv").get_data(as_text=True).splitlines()) == 6


def test_csv_streams_every_row_page_by_page_with_links_dates_and_snippets(client, monkeypatch):
    monkeypatch.setattr(feeds, "CSV_PAGE", 2)  # 5 articles: three pages from the service
    asked = []
    real = feeds.export_hits

    def spy(req, limit=None, per_page=100):
        asked.append(per_page)
        return real(req, limit, per_page)
    monkeypatch.setattr(feeds, "export_hits", spy)
    svc = client.application.extensions["newsdesk"]
    pages = []
    search = svc.search
    monkeypatch.setattr(svc, "search", lambda req, **kw: pages.append(
        (req.page, req.per_page)) or search(req, **kw))
    response = client.get("/search.csv?sort=oldest")
    assert response.is_streamed and asked == [2]
    body = response.get_data(as_text=True)
    assert pages == [(1, 2), (2, 2), (3, 2)]  # every page asked for, none cut off
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["id"] for r in rows] == ["a2", "a4", "a3", "a1", "a5"]
    assert list(rows[0]) == feeds.CSV_COLUMNS
    assert {"link", "date", "source", "countries", "officials", "snippet"} <= set(rows[0])
    assert rows[3]["link"].endswith("/article/a1") and rows[3]["link"].startswith("http")
    assert rows[3]["date"] == "2024-09-24" and rows[3]["source"] == "Example News"
    assert rows[3]["officials"] == "Lloyd Austin; Yoav Gallant"
    assert rows[3]["countries"] == "US IL LB" or sorted(rows[3]["countries"].split()) == [
        "IL", "LB", "US"]
    searched = list(csv.DictReader(io.StringIO(
        client.get("/search.csv?q=ground+invasion").get_data(as_text=True))))
    assert "ground invasion" in searched[0]["snippet"].lower()
    assert "<mark>" not in searched[0]["snippet"] and "&" not in searched[0]["snippet"]


@pytest.mark.parametrize("q,disposition", [
    ("interest rates", 'attachment; filename="newsdesk-interest-rates.csv"'),
    ("", 'attachment; filename="newsdesk-search.csv"'),
    ('interest"; filename=evil.exe',
     'attachment; filename="newsdesk-interest-filename-evil-exe.csv"'),
    ("Zürich bank", 'attachment; filename="newsdesk-Z-rich-bank.csv"; '
                    "filename*=UTF-8''newsdesk-Z%C3%BCrich-bank.csv"),
])
def test_csv_is_named_after_the_query(client, q, disposition):
    response = client.get("/search.csv", query_string={"q": q})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == disposition


def test_a_bad_csv_query_is_a_400_before_streaming(client):
    response = client.get("/search.csv?q=%3F%21")
    assert response.status_code == 400
    assert "no words to search for" in response.get_data(as_text=True)


def test_csv_cells_are_not_formulas(tmp_path):
    data = make_data_dir(tmp_path, articles=[
        {"id": "f1", "source": "=HYPERLINK(\"http://x\")", "title": "@SUM(A1) news",
         "body": "Plain text.", "published": "2024-01-01"}])
    app = create_app({"TESTING": True, "DATA_DIR": str(data.root)})
    rows = list(csv.reader(io.StringIO(app.test_client().get("/search.csv")
                                       .get_data(as_text=True))))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")" and rows[1][3] == "'@SUM(A1) news"
    app.extensions["newsdesk"].engine.close()


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ElementTree.fromstring(response.get_data())
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    templates = {u.get("type"): u.get("template") for u in root.iter(f"{ns}Url")}
    assert templates["text/html"] == "http://localhost/?q={searchTerms}"
    assert "application/atom+xml" in templates
    text = html_of(client.get("/"))
    assert ('<link rel="search" type="application/opensearchdescription+xml" title="newsdesk" '
            'href="/opensearch.xml">') in text


# --- the article page's marked entities ------------------------------------------------------

def test_article_marks_countries_and_officials(client):
    text = html_of(client.get("/article/a1"))
    assert ('<mark class="official" title="Lloyd Austin — Defense Secretary, US">Lloyd Austin'
            '</mark>') in text
    assert '<mark class="country" title="Israel">Israeli</mark>' in text
    page = Page(text)
    similar = [a["text"] for a in page.links if a["href"].startswith("/article/")]
    assert similar and "US opposes Israeli ground invasion of Lebanon" not in similar


def test_marked_paragraphs_keep_offsets_and_skip_overlaps():
    from webapp.pages import marked_paragraphs
    body = "Talks in Paris.\n\nPresident Emmanuel Macron of France spoke."
    paragraphs = marked_paragraphs("France and Germany", body, 2024)
    assert "".join(s["text"] for s in paragraphs[0]) == "Talks in Paris."
    assert "".join(s["text"] for s in paragraphs[1]) == "President Emmanuel Macron of France spoke."
    marked = [(s["kind"], s["text"]) for p in paragraphs for s in p if s["kind"]]
    assert ("country", "Paris") in marked and ("country", "France") in marked
    starts = [body.find(text) for _, text in marked]
    assert starts == sorted(starts)  # in order, none overlapping


# --- XSS: queries and stored fields in every view --------------------------------------------

XSS_URL = "javascript:alert(1)"


@pytest.mark.parametrize("payload", [XSS_SCRIPT, XSS_IMG, XSS_URL])
def test_hostile_queries_are_escaped_everywhere(client, payload):
    for url, extra in (("/", {}), ("/search.atom", {}), ("/", {"country": "JP"})):
        response = client.get(url, query_string={"q": payload, "official": payload, **extra})
        text = response.get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text, url
        assert 'href="javascript:' not in text, url
    feed = ElementTree.fromstring(client.get("/search.atom", query_string={"q": payload})
                                  .get_data())
    assert feed.findtext(f"{ATOM}title") == f"newsdesk: “{payload}”"


def test_hostile_articles_are_escaped_in_snippet_article_and_feed(evil_client):
    text = html_of(evil_client.get("/?q=paragraph"))
    assert "a &lt;script&gt;alert(1)&lt;/script&gt; tag" in text  # the snippet
    text = html_of(evil_client.get("/article/evil"))
    assert "<script>alert" not in text and "<img src=x" not in text
    assert ('<mark class="country" title="Lebanon">Lebanon</mark> and a '
            '&lt;script&gt;alert(1)&lt;/script&gt; tag') in text
    assert "By &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "javascript:" not in text
    response = evil_client.get("/search.atom?q=breaking")
    raw = response.get_data(as_text=True)
    assert "<script>" not in raw and "<img" not in raw and "javascript:" not in raw
    [entry] = ElementTree.fromstring(response.get_data()).iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == f"Breaking {XSS_SCRIPT} news {XSS_IMG}"
    summary = entry.findtext(f"{ATOM}summary")  # HTML: the body text escaped once, as HTML
    assert "&lt;script&gt;" in summary and "<script>" not in summary
    rows = evil_client.get("/search.jsonl").get_data(as_text=True)
    assert all(json.loads(line) for line in rows.splitlines())


# --- hostile requests: caps, bounded headers, the base URL -----------------------------------

def many(name: str, n: int, stem: str = "X") -> list[tuple[str, str]]:
    return [(name, f"{stem}{i}") for i in range(n)]


def test_a_request_beyond_the_caps_is_a_clear_400_on_pages_and_api(client):
    from indexer.search import MAX_FACET_VALUES
    query = [("q", "oil"), *many("country", MAX_FACET_VALUES + 1)]
    message = f"too many country values: at most {MAX_FACET_VALUES}, got {MAX_FACET_VALUES + 1}"
    for url in ("/api/search", "/api/facets/country"):
        response = client.get(url, query_string=query)
        assert response.status_code == 400
        assert response.get_json() == {"error": message, "status": 400}
    for url in ("/", "/search.atom", "/search.csv", "/search.jsonl"):
        response = client.get(url, query_string=query)
        assert response.status_code == 400, url
        assert message in html_of(response), url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    response = client.get("/", query_string=[("q", "x" * 5000)])
    assert response.status_code == 400
    assert "at most 4000 characters" in html_of(response)
    assert 'value="' + "x" * 4000 + '"' in html_of(response)  # the box keeps what fits


def test_a_query_string_beyond_its_byte_cap_is_refused_unparsed_and_unechoed(client):
    from webapp import MAX_QUERY_STRING
    query = "q=oil&source=" + "%E2%82%AC" * (MAX_QUERY_STRING // 9 + 1)  # a few values, many bytes
    message = f"the query string is too long (at most {MAX_QUERY_STRING:,} bytes"
    response = client.get("/api/search?" + query)
    assert response.status_code == 400 and response.get_json()["error"].startswith(message)
    response = client.get("/?" + query)
    text = html_of(response)
    assert response.status_code == 400 and message in text and "%E2%82%AC" not in text
    assert len(text) < 10_000 and "Link" not in response.headers
    response = client.get("/?" + query[:MAX_QUERY_STRING])  # at the cap: the usual rules
    assert "each source value may have at most 200 characters" in html_of(response)


def test_at_the_caps_every_chip_removes_just_its_value(client):
    from indexer.search import MAX_FACET_VALUES
    import pycountry  # real codes: a value naming no country is a 400 of its own
    codes = sorted(c.alpha_2 for c in pycountry.countries)[:MAX_FACET_VALUES]
    query = [("q", "lebanon"), *[("country", c) for c in codes],
             ("source", "Continental Wire"), ("page", "2")]
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    page = Page(html_of(response))
    removes = [a for a in page.links if "chip__remove" in (a.get("class") or "")]
    assert len(removes) == MAX_FACET_VALUES + 1
    sent = [pair for pair in query if pair[0] != "page"]  # a removal goes back to page 1
    for i, link in enumerate(removes):
        assert params(link["href"]) == sent[:1] + sent[1:][:i] + sent[1:][i + 1:]


def test_a_long_request_is_not_repeated_in_every_hit_tag(client):
    from webapp import MAX_LINK_URL
    query = [("q", "lebanon " + "y" * 900), ("source", "Continental Wire"),
             ("source", "Example News"), *many("source", 20, "S" * 50)]  # OR-ed: harmless
    assert len(urlencode(query)) > MAX_LINK_URL
    page = Page(html_of(client.get("/", query_string=query)))
    tag = page.link("Israel", cls="tag")
    assert params(tag["href"]) == [("country", "IL")]  # the tag alone, as on article pages


def test_no_results_tries_only_filters_whose_drop_can_find_more(client):
    # values of one facet are OR-ed: dropping US or LB alone could only narrow
    page = Page(html_of(client.get("/?q=hezbollah&country=US&country=LB&source=Harbor+Gazette")))
    drops = [a for a in page.links if "relax" in (a.get("class") or "").split()]
    assert [a["text"] for a in drops] == ["Drop “Source: Harbor Gazette”"]
    assert params(drops[0]["href"]) == [("q", "hezbollah"), ("country", "US"), ("country", "LB")]


def test_link_header_is_bounded_however_long_the_url(client, evil_client):
    from webapp import MAX_LINK_URL
    query = [("q", "lebanon " + "y" * 900), ("official", "Yoav Gallant"),  # one that finds
             *many("official", 49, "Official number ")]
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    assert "Link" not in response.headers  # the <head> still links the twin
    assert Page(html_of(response)).json_twin().startswith("/api/search?q=lebanon")
    response = client.get("/", query_string={**dict(query[:1]), "country": "x" * 200})
    assert "Link" not in response.headers or len(response.headers["Link"]) < MAX_LINK_URL + 50
    response = evil_client.get("/article/" + "z" * 5000)
    assert response.status_code == 404 and "Link" not in response.headers
    response = client.get("/?q=lebanon")
    assert response.headers["Link"] == ('</api/search?q=lebanon>; rel="alternate"; '
                                        'type="application/json"')


def test_absolute_links_never_come_from_the_host_header(data_dir):
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    for config, base in (({}, "http://localhost"),
                         ({"BASE_URL": "https://News.Example.org/desk/"},
                          "https://news.example.org/desk")):
        app = create_app({"TESTING": True, "DATA_DIR": str(data_dir.root), **config})
        client = app.test_client()
        root = ElementTree.fromstring(client.get("/opensearch.xml", headers=evil).get_data())
        templates = sorted(u.get("template") for u in root.iter(f"{ns}Url"))
        assert templates == [f"{base}/?q={{searchTerms}}", f"{base}/api/search?q={{searchTerms}}",
                             f"{base}/search.atom?q={{searchTerms}}"]
        raw = client.get("/search.atom?q=lebanon", headers=evil).get_data(as_text=True)
        assert "evil.example" not in raw
        feed = ElementTree.fromstring(raw)
        assert feed.findtext(f"{ATOM}id") == f"{base}/search.atom?q=lebanon"
        ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
        assert ids and all(i.startswith(f"{base}/article/") for i in ids)
        app.extensions["newsdesk"].engine.close()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org", "https://",
                                 "http://example.org/?q=1", "http://u:p@example.org",
                                 "http://example.org:99999"])
def test_a_bad_base_url_is_refused(data_dir, url):
    with pytest.raises(ValueError, match="base URL"):
        create_app({"DATA_DIR": str(data_dir.root), "BASE_URL": url})


# --- the real server: waitress's own answers carry the headers too ---------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A running ``newsdesk serve --port 0 --base-url …`` over the test articles; yields
    its port (read from the line it prints)."""
    import subprocess
    import sys
    import time
    root = tmp_path_factory.mktemp("served")
    data = make_data_dir(root)
    log_path = root / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "indexer.cli", "--data-dir", str(data.root), "serve",
             "--host", "127.0.0.1", "--port", "0", "--workers", "2",
             "--base-url", "https://news.example.org"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"newsdesk on http://127\.0\.0\.1:(\d+)/",
                                      log_path.read_text(errors="replace"))):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("newsdesk serve did not start: " + log_path.read_text())
            time.sleep(0.05)
        yield int(found.group(1))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def raw_http(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` on a fresh socket; the answer's status, headers (lower-case) and body.

    The server may reset the connection once it has answered (it closes with part of an
    oversized request unread); what arrived before the reset is the answer.
    """
    import socket
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
    return int(status_line.split()[1]), headers, body


def assert_security_headers(headers: dict[str, str]) -> None:
    from webapp import SECURITY_HEADERS
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, name


GET = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n"


@pytest.mark.parametrize("what, request_bytes, status", [
    ("request line", GET % (b"/?q=" + b"a" * 70_000, b""), 431),
    ("one header", GET % (b"/", b"X-Padding: " + b"b" * 70_000 + b"\r\n"), 431),
    ("many headers", GET % (b"/", b"".join(b"X-H%d: v\r\n" % i for i in range(7000))), 431),
    ("body", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n", 413),
    ("malformed", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: many\r\n\r\n", 400),
])
def test_the_servers_own_error_answers_carry_the_security_headers(served, what, request_bytes,
                                                                  status):
    code, headers, body = raw_http(served, request_bytes)
    assert code == status, (what, body[:200])
    assert_security_headers(headers)
    assert headers["content-type"].startswith("text/plain")  # waitress's own, not the app's


def test_the_real_server_answers_hostile_gets_with_the_app_and_its_base_url(served):
    from indexer.search import MAX_FACET_VALUES
    query = "&".join(f"country=X{i}" for i in range(MAX_FACET_VALUES + 1)).encode()
    code, headers, body = raw_http(served, GET % (b"/?q=oil&" + query, b""))
    assert code == 400 and headers["content-type"].startswith("text/html")
    assert b"too many country values" in body and b"/static/style.css" in body
    assert_security_headers(headers)
    code, headers, body = raw_http(
        served, b"GET /opensearch.xml HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    assert code == 200 and b"evil.example" not in body
    assert b'template="https://news.example.org/?q={searchTerms}"' in body
    assert_security_headers(headers)


def test_a_loose_partial_match_names_the_words_no_article_contains(client):
    text = html_of(client.get("/?q=interest+blockchain+smartphone"))
    notice = re.search(r'<p class="notice"[^>]*>(.*?)</p>', text, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", notice).startswith(
        "No article contains: blockchain, smartphone; showing articles that match")
    assert "Bank of Japan holds interest rates" in text
    api = client.get("/api/search?q=interest+blockchain+smartphone").get_json()
    assert api["relaxed"] and api["missing_words"] == ["blockchain", "smartphone"]
    # every word is in some article, just not together: the counted notice, nothing missing
    both = client.get("/api/search?q=interest+lebanon").get_json()
    assert both["relaxed"] and both["missing_words"] == []
    assert "No article contains:" not in html_of(client.get("/?q=interest+lebanon"))


def test_a_misspelt_query_shows_the_corrected_results_and_the_way_back(tmp_path):
    from test_search import OIL
    app = create_app({"TESTING": True, "DATA_DIR": str(make_data_dir(tmp_path, OIL).root)})
    try:
        client = app.test_client()
        text = html_of(client.get("/?q=petrolium+exports"))
        page = Page(text)
        assert "Showing results for <strong class=\"suggestion__corrected\">petroleum exports" in text
        assert 'value="petroleum exports"' in text and "Norway raises petroleum exports" in text
        typed = page.link("petrolium exports", cls="suggestion__typed")
        assert params(typed["href"]) == [("q", "petrolium exports"), ("as_typed", "1")]
        # the page's links (sorts, filters) follow the corrected query
        assert params(page.link("Newest")["href"])[0] == ("q", "petroleum exports")
        text = html_of(client.get(typed["href"]))
        assert "Showing results for" not in text and "Did you mean" in text
        assert client.get("/api/search?q=petrolium+exports").get_json()["corrected_from"] == \
            "petrolium exports"
    finally:
        app.extensions["newsdesk"].engine.close()


def test_show_every_copy_is_offered_only_when_copies_were_folded(client, tmp_path):
    # the sample store holds no copies: nothing to unfold
    assert "Show every copy" not in html_of(client.get("/?q=minister"))
    from test_dedup import COPIES
    (tmp_path / "copies").mkdir()
    app = create_app({"TESTING": True,
                      "DATA_DIR": str(make_data_dir(tmp_path / "copies", COPIES).root)})
    try:
        text = html_of(app.test_client().get("/?q=oil+price"))
        assert "4 articles in 2 stories" in text and "Show every copy" in text
        text = html_of(app.test_client().get("/?q=oil+price&collapse=false"))
        assert "Fold copies into stories" in text
    finally:
        app.extensions["newsdesk"].engine.close()
