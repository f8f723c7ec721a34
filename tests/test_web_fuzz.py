"""Property-based fuzzing of the search parameters and the query syntax, with Hypothesis.

Against the Flask app (test client: every search view, the facet API, the article page)
and the CLI (``newsdesk search`` through click's CliRunner), both over one real data dir
with a real Whoosh index.  Whatever a client sends, the answer is a 200 or a clear 400
(404 for an unknown article or facet), never a 5xx or a traceback; a generated
``<script>`` marker never comes back raw in HTML; every answer carries the security
headers and a bounded ``Link`` header; feeds and exports stay well-formed.

Deterministic: ``derandomize=True`` and no example database, so CI runs the same
cases every time.  Each example must finish within the ``deadline`` (a request that
grew with its input, as chips once did, fails it).  Examples per target: see
``EXAMPLES``.
"""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from conftest import ARTICLES, make_data_dir
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from indexer.cli import cli
from indexer.search import MAX_FACET_VALUES, MAX_PARAMS, MAX_QUERY_CHARS, MAX_VALUE_CHARS
from webapp import MAX_LINK_URL, MAX_QUERY_STRING, SECURITY_HEADERS, create_app

# fuzz cases run per target (each test below names its target)
EXAMPLES = {"page": 300, "api": 300, "feeds": 100, "facets": 120, "article": 120,
            "query": 400, "raw": 200, "cli": 150}

MARKER = "<script>ndfz</script>"
MARKER_ATTR = '"><b id=ndfz>'
RAW_MARKERS = ("<script>ndfz", "<b id=ndfz>")

FUZZ_ARTICLES = [*ARTICLES, {
    "id": "evil/1 %x", "url": "javascript:alert(1)", "source": f"Evil {MARKER}",
    "title": f"Oil {MARKER} prices {MARKER_ATTR}", "body": f"Oil and {MARKER} in Lebanon.",
    "published": "2024-09-26", "countries": ["LB"],
    "officials": [{"name": f"Mr {MARKER}", "role": MARKER_ATTR, "country": "LB"}]}]
IDS = [a["id"] for a in FUZZ_ARTICLES]


def fuzz(target: str, **overrides):
    return settings(max_examples=EXAMPLES[target], derandomize=True, database=None,
                    deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    **overrides)


# --- strategies --------------------------------------------------------------------------------

WORDS = ["oil", "ground", "invasion", "lebanon", "interest", "rates", "japan", "yen", "chips",
         "inflation", "austin", "invasoin", "the", "a", "zzzz"]
OPERATORS = ['"', "-", "+", "OR", "AND", "NOT", "title:", "body:", "source:", "country:", "(",
             ")", "*", "?", "~", "~2", "^2", "[a TO z]", "{", "}", ":", "\\", "'", "/", "&",
             "%", "#", "=", "\u00a0"]
# any code point a URL can carry: control characters, RTL marks, emoji, combining marks
CHARS = st.characters(blacklist_categories=("Cs",))
TEXT = st.text(CHARS, max_size=20)
TOKEN = st.one_of(st.sampled_from(WORDS), st.sampled_from(OPERATORS), TEXT,
                  st.just(MARKER), st.just(MARKER_ATTR),
                  st.sampled_from(WORDS).map(lambda w: f"title:{w}"),
                  st.sampled_from(WORDS).map(lambda w: f'"{w} {w}"'),
                  st.sampled_from(WORDS).map(lambda w: f"-{w}"))
QUERY = st.one_of(
    st.lists(TOKEN, max_size=12).map(" ".join),
    st.lists(TOKEN, max_size=6).map("".join),
    st.builds(lambda t, n: t * n, TOKEN, st.integers(1, 80)),
    st.builds(lambda q, n: (q + " ") * (MAX_QUERY_CHARS // (len(q) + 1)) + "x" * n,  # at the cap
              st.lists(TOKEN, min_size=1, max_size=4).map(" ".join), st.integers(0, 3)),
    st.builds(lambda n: "(" * n + "oil" + ")" * n, st.integers(1, 400)),
    st.builds(lambda n: " OR ".join(WORDS) * n, st.integers(1, 20)),
)
NUMBER = st.one_of(st.integers(-10**12, 10**12).map(str), st.sampled_from(
    ["", " 2 ", "1.5", "1e3", "0x10", "٣", "-0", "+3", "1_000", "NaN", "inf", "9" * 400]), TEXT)
DATE = st.one_of(st.sampled_from(
    ["2024", "2024-09", "2024-09-24", "2024-02-30", "2024-13", "0000", "0001-01-01",
     "9999-12-31", "9999", "2024-1-1", "24/09/2024", "２０２４", ""]), TEXT,
    st.dates().map(str))
COUNTRY = st.one_of(st.sampled_from(["US", "lb", "JP", "DE", "IL", "SU", "XX", "", " us "]),
                    TEXT, st.just(MARKER))
OFFICIAL = st.one_of(st.sampled_from(["Lloyd Austin", "Fumio Kishida", f"Mr {MARKER}", ""]),
                     TEXT, st.just(MARKER_ATTR))
SOURCE = st.one_of(st.sampled_from(["Example News", "Continental Wire", f"Evil {MARKER}"]),
                   TEXT)
HUGE = st.builds(lambda t, n: (t or "x") * n, TEXT, st.integers(MAX_VALUE_CHARS - 5, 3000))

VALUE_FOR = {"q": QUERY, "country": COUNTRY, "official": OFFICIAL, "source": SOURCE,
             "from": DATE, "to": DATE, "page": NUMBER, "per_page": NUMBER,
             "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest", "NEWEST",
                                                "", "random"]), TEXT)}
KEY = st.one_of(st.sampled_from(list(VALUE_FOR)), TEXT)


@st.composite
def pair(draw):
    key = draw(KEY)
    value = draw(st.one_of(VALUE_FOR.get(key, TEXT), HUGE) if draw(st.integers(0, 9)) == 0
                 else VALUE_FOR.get(key, TEXT))
    return key, value


@st.composite
def params(draw):
    """A query string's pairs: a few of anything, sometimes one pair repeated past a cap."""
    pairs = draw(st.lists(pair(), max_size=12))
    if draw(st.integers(0, 4)) == 0:
        key = draw(KEY)
        value = draw(VALUE_FOR.get(key, TEXT))
        pairs += [(key, value)] * draw(st.integers(2, MAX_PARAMS + 20))
    if draw(st.integers(0, 4)) == 0:
        facet = draw(st.sampled_from(["country", "official", "source"]))
        n = draw(st.integers(MAX_FACET_VALUES - 3, MAX_FACET_VALUES + 3))
        pairs += [(facet, f"V{i}") for i in range(n)]
    if draw(st.integers(0, 9)) == 0:  # around the byte cap on the raw query string
        pairs.append(("junk", "x" * draw(st.integers(MAX_QUERY_STRING - 40, MAX_QUERY_STRING))))
    return draw(st.permutations(pairs)) if len(pairs) < 30 else pairs


# --- the app -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_data_dir(tmp_path_factory.mktemp("fuzz"), articles=FUZZ_ARTICLES)


@pytest.fixture(scope="module")
def client(data):
    app = create_app({"TESTING": False, "DATA_DIR": str(data.root)})
    yield app.test_client()
    app.extensions["newsdesk"].engine.close()


def check(response, allowed=(200, 400)):
    """What every answer must be, whatever was asked."""
    body = response.get_data(as_text=True)
    event(f"status {response.status_code}")  # the mix shows with --hypothesis-show-statistics
    assert response.status_code in allowed, (response.status_code, body[:300])
    assert "Traceback" not in body
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert len(response.headers.get("Link", "")) <= MAX_LINK_URL + 60
    if response.mimetype == "text/html":
        for marker in RAW_MARKERS:
            assert marker not in body
        assert 'href="javascript:' not in body
        if response.status_code == 400:
            assert 'class="error"' in body and "Bad request" in body
    elif response.mimetype == "application/json" and response.status_code >= 400:
        error = response.get_json()
        assert set(error) == {"error", "status"} and error["status"] == response.status_code
        assert isinstance(error["error"], str) and error["error"]
    return body


@fuzz("page")
@given(query=params())
def test_search_page_answers_any_parameters(client, query):
    check(client.get("/", query_string=query))


@fuzz("api")
@given(query=params())
def test_api_search_answers_any_parameters(client, query):
    response = client.get("/api/search", query_string=query)
    check(response)
    assert response.mimetype == "application/json"
    if response.status_code == 200:
        data = response.get_json()
        assert len(data["query"]) <= MAX_QUERY_CHARS and data["total"] >= 0
        assert data["per_page"] * (data["page"] - 1) < 10**5


@pytest.mark.parametrize("url", ["/search.atom", "/search.csv", "/search.jsonl"])
@fuzz("feeds")
@given(query=params())
def test_feeds_and_exports_stay_well_formed(client, url, query):
    response = client.get(url, query_string=query)
    body = check(response)
    if response.status_code != 200:
        return
    if url.endswith(".atom"):
        assert not any(marker in body for marker in RAW_MARKERS)
        ElementTree.fromstring(response.get_data())  # well-formed XML
    elif url.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0][0] == "id" and all(len(r) == len(rows[0]) for r in rows)
    else:
        assert all(json.loads(line)["id"] for line in body.splitlines())


@fuzz("facets")
@given(name=st.one_of(st.sampled_from(["country", "official", "source"]), TEXT),
       query=params())
def test_facet_api_answers_any_name_and_parameters(client, name, query):
    response = client.get(f"/api/facets/{quote(name, safe='')}", query_string=query)
    check(response, allowed=(200, 400, 404, 308))  # "/0": Werkzeug merges the slashes
    if name in ("country", "official", "source") and response.status_code == 200:
        assert response.get_json()["facet"] == name


@fuzz("article")
@given(article_id=st.one_of(st.sampled_from(IDS), TEXT, st.just(MARKER), HUGE,
                            st.sampled_from(IDS).map(lambda i: i + "/../" + i)),
       raw=st.booleans())
def test_article_page_answers_any_id(client, article_id, raw):
    path = quote(article_id, safe="/" if raw else "")
    if not path:
        return
    for prefix in ("/article/", "/api/articles/"):
        response = client.get(prefix + path)
        check(response, allowed=(200, 404, 308))


@fuzz("query")
@given(q=QUERY, extra=st.lists(pair(), max_size=3))
def test_query_syntax_never_breaks_the_page_or_the_api(client, q, extra):
    for url in ("/", "/api/search"):
        response = client.get(url, query_string=[("q", q), *extra])
        check(response)
        if response.status_code == 400:
            continue
        if url == "/":
            assert response.get_data(as_text=True).count("<h1") == 1


@fuzz("raw")
@given(raw=st.binary(max_size=300), sep=st.sampled_from(["&", ";", "&&", "=="]))
def test_raw_bytes_in_the_query_string(client, raw, sep):
    """What no browser would send: bytes that are not UTF-8, bare % and separators."""
    encoded = "".join(chr(b) if b % 3 == 0 and 0x21 <= b < 0x7f and chr(b) != "#"
                      else f"%{b:02X}" for b in raw)
    for url in ("/", "/api/search", "/search.atom"):
        check(client.get(f"{url}?q={encoded}{sep}country={encoded}{sep}page=%ff"))


# --- the CLI -----------------------------------------------------------------------------------

FLAGS = {"country": "--country", "official": "--official", "source": "--source",
         "from": "--from", "to": "--to", "sort": "--sort", "page": "--page",
         "per_page": "--limit"}


CLI_OPTION = st.sampled_from(list(FLAGS)).flatmap(
    lambda key: st.tuples(st.just(key), st.one_of(VALUE_FOR[key], HUGE)))


@fuzz("cli")
@given(q=QUERY, options=st.lists(CLI_OPTION, max_size=8), dashdash=st.booleans())
def test_cli_search_answers_any_arguments(data, q, options, dashdash):
    args = ["--data-dir", str(data.root), "search", "--json"]
    for key, value in options:
        args += [FLAGS[key], value]
    args += ["--", q] if dashdash else [q]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 0:
        assert json.loads(result.output)["total"] >= 0
    else:
        assert result.output.strip().splitlines()[-1].startswith("Error"), result.output
