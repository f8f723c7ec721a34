"""The site in a real browser: Playwright driving Debian's Chromium against `newsdesk serve`.

A temp data dir gets the sample corpus through the CLI (`import jsonl`, `index`), then a
real `newsdesk serve` runs on a free localhost port.  Chromium is the system one
(``/usr/bin/chromium``, or ``$NEWSDESK_CHROMIUM``); no browser is ever downloaded.  The
tests skip, saying why, when Playwright or Chromium is missing.  They also save the
screenshots in ``docs/screenshots/``.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import SAMPLE

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("NEWSDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# `make screenshots` (NEWSDESK_SCREENSHOTS=docs/screenshots) refreshes the README's pictures;
# otherwise they go to a temp folder, so a test run leaves the work tree as it was.
SCREENSHOTS = Path(os.environ.get("NEWSDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))
QUERY = "minister"  # 22 of the 48 sample articles: three pages, many facets


def _newsdesk() -> list[str]:
    """The newsdesk command, run by this interpreter (so the same venv)."""
    return [sys.executable, "-m", "indexer.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sync_api():
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (make browser, or set NEWSDESK_CHROMIUM)")
    return playwright


@pytest.fixture(scope="module")
def server(sync_api, tmp_path_factory):
    """A running `newsdesk serve` over the sample corpus; yields its base URL."""
    yield from _serve(tmp_path_factory.mktemp("browser") / "data", SAMPLE)


def _serve(data: Path, corpus: Path):
    """Import ``corpus`` (JSON Lines) into ``data``, index it, serve it; yield the base URL."""
    cli = [*_newsdesk(), "--data-dir", str(data)]
    subprocess.run([*cli, "import", "jsonl", str(corpus)], check=True, capture_output=True)
    subprocess.run([*cli, "index"], check=True, capture_output=True)
    port = _free_port()
    log = open(data.parent / "serve.log", "wb")  # noqa: SIM115 (the server's lifetime)
    proc = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/stats", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("newsdesk serve did not start: "
                        + (data.parent / "serve.log").read_text(errors="replace"))
        time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(sync_api):
    with sync_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except sync_api.Error as exc:  # a broken or incompatible Chromium
            pytest.skip(f"Chromium at {CHROMIUM} did not start under Playwright: {exc}")
        yield chromium
        chromium.close()


class Page:
    """A Playwright page that records console errors and uncaught exceptions."""

    def __init__(self, browser, base: str, **context):
        self.context = browser.new_context(**{"viewport": {"width": 1280, "height": 900},
                                              **context})
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str):
        self.page.goto(self.base + path)

    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.page.url).query)

    def heading(self) -> str:
        return " ".join(self.page.locator("#results-title").inner_text().split())

    def total(self) -> int:
        text = self.heading()
        match = re.search(r"of ([\d,]+) articles|^([\d,]+) articles?", text)
        assert match, text
        return int((match.group(1) or match.group(2)).replace(",", ""))

    def hit_titles(self) -> list[str]:
        return self.page.locator(".hit__title a").all_inner_texts()

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, server):
    p = Page(browser, server)
    yield p
    assert p.errors == [], "console errors (CSP violations?)"
    p.close()


@pytest.fixture
def nojs(browser, server):
    p = Page(browser, server, java_script_enabled=False)
    yield p
    p.close()


def _wait_for_params(p: Page, predicate, what: str):
    deadline = time.monotonic() + 10
    while not predicate(dict(p.params())):
        if time.monotonic() > deadline:
            raise AssertionError(f"URL never got {what}: {p.page.url}")
        p.page.wait_for_timeout(50)
    p.page.wait_for_load_state()
    p.page.locator("html:not(.is-loading)").wait_for()


# --- with JavaScript -------------------------------------------------------------------------

def test_search_filter_chip_and_back_button(page):
    pg = page.page
    page.goto("/")
    assert pg.evaluate("document.activeElement.id") == "q"  # autofocus
    pg.keyboard.type(QUERY)
    pg.keyboard.press("Enter")
    _wait_for_params(page, lambda q: q.get("q") == QUERY, f"q={QUERY}")
    assert page.total() == 22 and f"for “{QUERY}”" in page.heading()
    assert len(page.hit_titles()) == 10
    assert pg.locator(".hit__snippet mark").count() >= 1
    pg.evaluate("window.__sameDocument = true")  # survives only in-place navigation

    box = pg.get_by_role("checkbox", name=re.compile("^United States"))
    facet_count = int(box.locator("xpath=..").locator(".facet__count").inner_text().split()[0])
    box.check()
    _wait_for_params(page, lambda q: q.get("country") == "US", "country=US")
    assert page.total() == facet_count == 9
    assert pg.evaluate("window.__sameDocument") is True  # no full reload
    assert pg.get_by_role("checkbox", name=re.compile("^United States")).is_checked()
    chip = pg.locator(".chip")
    assert chip.count() == 1 and "United States" in chip.inner_text()
    # a second country ORs: more results, both ticked, counts still from the other filters
    pg.get_by_role("checkbox", name=re.compile("^China")).check()
    _wait_for_params(page, lambda q: "CN" in dict(page.params()).values()
                     and ("country", "US") in page.params(), "country=US&country=CN")
    assert page.total() > 9 and pg.locator(".chip").count() == 2

    pg.go_back()  # the back button restores the previous state
    _wait_for_params(page, lambda q: q.get("country") == "US"
                     and ("country", "CN") not in page.params(), "back to country=US")
    pg.wait_for_function("document.querySelectorAll('.chip').length === 1")
    assert page.total() == 9

    pg.get_by_role("link", name="Remove filter Country: United States").click()
    _wait_for_params(page, lambda q: "country" not in q, "no country")
    assert page.total() == 22 and pg.locator(".chip").count() == 0
    assert pg.evaluate("window.__sameDocument") is True


def test_paging_keyboard_and_article(page):
    pg = page.page
    page.goto(f"/?q={QUERY}")
    first_page = page.hit_titles()
    pg.locator(".pagination").get_by_role("link", name="Next ›").click()
    _wait_for_params(page, lambda q: q.get("page") == "2", "page=2")
    assert page.heading().startswith("11–20 of 22")
    assert set(page.hit_titles()).isdisjoint(first_page)

    pg.locator("#results-title").focus()
    pg.keyboard.press("j")
    pg.keyboard.press("j")
    pg.keyboard.press("k")
    focused = pg.evaluate("document.activeElement.textContent")
    assert focused == page.hit_titles()[0]
    pg.keyboard.press("/")
    assert pg.evaluate("document.activeElement.id") == "q"

    title = page.hit_titles()[1]
    pg.locator(".hit__title a").nth(1).click()
    pg.wait_for_url(re.compile(r"/article/"))
    assert pg.locator("h1").inner_text() == title
    assert pg.locator(".article__body mark.country").count() >= 1
    assert pg.locator(".similar__list a").count() >= 1
    country = pg.locator("a.entity--country").first
    name = country.inner_text()
    country.click()
    _wait_for_params(page, lambda q: "country" in q, "a country search")
    assert name in pg.locator(".chip").inner_text()


def test_article_keeps_the_search_previous_next_matches_and_back(page):
    pg = page.page
    page.goto(f"/?q={QUERY}")
    titles = page.hit_titles()
    pg.locator(".hit__title a").nth(9).click()  # the last of page 1
    pg.wait_for_url(re.compile(r"/article/"))
    assert pg.locator("h1").inner_text() == titles[9]
    assert "Result 10 of 22" in pg.locator(".result-nav").inner_text()
    assert pg.locator(".article__body mark.match").count() >= 1  # "minister" marked

    pg.locator(".result-nav__next").click()  # on to page 2's first result
    pg.wait_for_url(re.compile(r"hit=11"))
    assert "Result 11 of 22" in pg.locator(".result-nav").inner_text()
    assert pg.locator("h1").inner_text() not in titles
    pg.locator(".result-nav__prev").click()
    pg.wait_for_url(re.compile(r"hit=10"))
    assert pg.locator("h1").inner_text() == titles[9]

    marks = pg.locator(".article__body mark.match")
    pg.locator(".next-match").click()
    assert pg.locator("mark.match.is-current").count() == 1
    assert marks.first.evaluate("m => m.classList.contains('is-current')")
    assert _in_viewport(pg, "mark.match.is-current")
    if marks.count() > 1:
        pg.locator(".next-match").click()
        assert marks.nth(1).evaluate("m => m.classList.contains('is-current')")
        assert pg.locator(".next-match__position").inner_text() == f"2 of {marks.count()}"

    pg.locator(".result-nav__back").click()  # the same results page, at the hit
    pg.wait_for_url(re.compile(r"/\?q=minister#hit-10$"))
    assert page.total() == 22 and page.hit_titles() == titles
    pg.wait_for_function("""() => { const r = document.querySelector('#hit-10 .hit__title')
        .getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }""",
                         timeout=5000)  # (scrolling may be smooth)
    assert pg.evaluate("document.activeElement.closest('.hit').id") == "hit-10"


def test_timeline_click_and_drag(page):
    pg = page.page
    page.goto("/")
    everything = page.total()
    bars = pg.locator("a.timeline__bar")
    assert bars.count() >= 3
    bar = bars.nth(bars.count() - 3)
    label = bar.get_attribute("aria-label")
    expected = int(re.search(r": (\d+) articles?", label).group(1))
    start, end = bar.get_attribute("data-from"), bar.get_attribute("data-to")
    bar.click()
    _wait_for_params(page, lambda q: "from" in q and "to" in q, "from and to")
    assert (dict(page.params())["from"], dict(page.params())["to"]) == (start, end)
    assert page.total() == expected < everything
    assert pg.locator("a.timeline__bar.is-selected").count() == 1

    page.goto("/")
    bars = pg.locator(".timeline__bar")  # empty periods too: a drag may start anywhere
    a, b = bars.nth(2), bars.nth(6)
    start, end = a.get_attribute("data-from"), b.get_attribute("data-to")
    box_a, box_b = a.bounding_box(), b.bounding_box()
    pg.mouse.move(box_a["x"] + box_a["width"] / 2, box_a["y"] + box_a["height"] / 2)
    pg.mouse.down()
    pg.mouse.move(box_b["x"] + box_b["width"] / 2, box_b["y"] + box_b["height"] / 2, steps=8)
    pg.mouse.up()
    _wait_for_params(page, lambda q: "from" in q and "to" in q, "a dragged range")
    got = dict(page.params())
    assert (got["from"], got["to"]) == (start, end)
    assert 0 < page.total() < everything
    assert pg.locator("a.timeline__bar.is-selected").count() >= 2


def test_facet_filter_box_and_show_more(page):
    pg = page.page
    page.goto("/")
    facet = pg.locator('fieldset[data-facet="official"]')
    more = facet.locator("details.facet__more")
    assert not more.evaluate("d => d.open")
    facet.locator(".facet__filter-input").fill("blinken")
    visible = facet.locator("li:visible .facet__name").all_inner_texts()
    assert visible and all("Blinken" in v for v in visible)


def _in_viewport(pg, selector: str) -> bool:
    return pg.evaluate("""sel => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.top >= -1 && r.bottom <= window.innerHeight && r.height > 0; }""", selector)


def test_phone_filters_open_in_a_drawer_and_bring_back_the_results(browser, server):
    phone = Page(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True,
                 has_touch=True)
    pg = phone.page
    try:
        phone.goto(f"/?q={QUERY}")
        before = phone.total()
        toggle = pg.locator(".filters-toggle__link")
        assert toggle.inner_text() == "Filters" and _in_viewport(pg, ".filters-toggle__link")
        assert not pg.locator("#refine").is_visible()  # a drawer, not 3,000 px of facets
        pg.locator(".pagination").scroll_into_view_if_needed()  # read down the results
        assert not _in_viewport(pg, "#results-title")
        assert _in_viewport(pg, ".filters-toggle__link")  # the control stays at hand
        toggle.click()
        assert pg.locator("#refine").is_visible() and toggle.get_attribute("aria-expanded") == "true"
        box = pg.get_by_role("checkbox", name=re.compile("^United States"))
        box.scroll_into_view_if_needed()
        box.check()
        _wait_for_params(phone, lambda q: q.get("country") == "US", "country=US")
        assert phone.total() == 9 != before
        assert _in_viewport(pg, "#results-title"), pg.evaluate(
            "JSON.stringify([window.scrollY, window.innerHeight, document.querySelector('#results-title').getBoundingClientRect()])")
        assert pg.evaluate("document.activeElement.id") == "results-title"
        assert not pg.locator("#refine").is_visible()
        assert pg.locator(".filters-toggle__link").inner_text() == "Filters (1)"
        # the drawer closes with its button too, giving the focus back to the control
        pg.locator(".filters-toggle__link").click()
        pg.locator(".facets__close").click()
        assert not pg.locator("#refine").is_visible()
        assert pg.evaluate("document.activeElement.className") == "filters-toggle__link"
        assert phone.errors == []
    finally:
        phone.close()


# --- without JavaScript ----------------------------------------------------------------------

def test_core_flow_without_javascript(nojs):
    pg = nojs.page
    nojs.goto("/")
    assert not pg.locator("html.js").count()
    pg.locator("#q").fill(QUERY)
    pg.locator("#q").press("Enter")
    pg.wait_for_url(re.compile(rf"q={QUERY}"))
    assert nojs.total() == 22

    pg.get_by_role("checkbox", name=re.compile("^United States")).check()
    pg.get_by_role("button", name="Apply filters").click()
    pg.wait_for_url(re.compile(r"country=US"))
    assert nojs.total() == 9 and ("q", QUERY) in nojs.params()
    pg.get_by_role("link", name="Remove filter Country: United States").click()
    pg.wait_for_url(lambda url: "country=" not in url)
    assert nojs.total() == 22

    pg.locator(".pagination").get_by_role("link", name="Next ›").click()
    pg.wait_for_url(re.compile(r"page=2"))
    assert nojs.heading().startswith("11–20 of 22")

    bar = pg.locator("a.timeline__bar").first
    start = bar.get_attribute("data-from")
    bar.click()
    pg.wait_for_url(re.compile(rf"from={start}"))
    assert ("from", start) in nojs.params() and "page" not in dict(nojs.params())
    assert nojs.total() < 22

    title, filtered = nojs.hit_titles()[0], nojs.params()
    pg.locator(".hit__title a").first.click()
    pg.wait_for_url(re.compile(r"/article/"))
    assert pg.locator("h1").inner_text() == title
    pg.locator(".result-nav__back").click()  # back to the same results, filters and all
    pg.wait_for_url(re.compile(r"/\?q="))
    assert nojs.params() == filtered and nojs.hit_titles()[0] == title


# --- screenshots -----------------------------------------------------------------------------

def test_screenshots(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desktop = Page(browser, server)
    desktop.goto(f"/?q={QUERY}&country=US")
    desktop.page.locator("#q").blur()
    desktop.page.screenshot(path=str(SCREENSHOTS / "search-desktop.png"), full_page=True)
    desktop.goto("/article/sample-001")
    desktop.page.screenshot(path=str(SCREENSHOTS / "article.png"), full_page=True)
    assert desktop.errors == []
    desktop.close()

    phone = Page(browser, server, viewport={"width": 390, "height": 844},
                 device_scale_factor=2, is_mobile=True, has_touch=True)
    phone.goto(f"/?q={QUERY}")
    phone.page.locator("#q").blur()
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at phone width"
    phone.page.screenshot(path=str(SCREENSHOTS / "search-phone.png"))
    phone.page.locator(".filters-toggle__link").click()  # the filters drawer, open
    assert phone.page.locator("#refine").is_visible()
    phone.page.screenshot(path=str(SCREENSHOTS / "filters-phone.png"))
    assert phone.errors == []
    phone.close()
    for name in ("search-desktop.png", "search-phone.png", "filters-phone.png", "article.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000


# -- stories: wire copies folded into one result ----------------------------------

@pytest.fixture(scope="module")
def copies_server(sync_api, tmp_path_factory):
    """`newsdesk serve` over three copies of one wire story and one other story."""
    from test_dedup import COPIES
    import json
    folder = tmp_path_factory.mktemp("copies")
    corpus = folder / "copies.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in COPIES), encoding="utf-8")
    yield from _serve(folder / "data", corpus)


def test_a_collapsed_story_shows_its_versions_and_expands(browser, copies_server):
    p = Page(browser, copies_server)
    p.goto("/?q=oil+price&sort=oldest")
    assert p.heading().startswith("4 articles in 2 stories")
    assert p.hit_titles() == [COPIES_TITLES[0], COPIES_TITLES[3]]
    versions = p.page.locator(".hit__versions").first
    summary = versions.locator("summary")
    assert summary.inner_text().strip() == "3 versions"
    copies = versions.locator(".hit__copies a")
    assert not copies.first.is_visible()               # folded until asked
    summary.click()
    assert copies.all_inner_texts() == COPIES_TITLES[1:3]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # `make screenshots`: a collapsed story
    p.page.locator("#q").blur()
    p.page.screenshot(path=str(SCREENSHOTS / "story-collapsed.png"), full_page=True)
    copies.first.click()                               # a copy opens as an article
    p.page.wait_for_url(re.compile(r"/article/r2"))
    p.page.go_back()
    p.page.locator(".collapse-toggle__link").click()  # every copy
    p.page.wait_for_url(re.compile(r"collapse=false"))
    assert p.heading().startswith("4 articles")
    assert len(p.hit_titles()) == 4 and p.page.locator(".hit__versions").count() == 0
    p.page.fill("#q", "saudi")                         # a new search keeps the toggle
    p.page.press("#q", "Enter")
    p.page.wait_for_url(re.compile(r"q=saudi"))
    assert ("collapse", "false") in p.params()
    assert p.errors == [], "console errors (CSP violations?)"
    p.close()


COPIES_TITLES = ['SAUDI ARABIA WILL NOT AGREE "MAD" OIL PRICE RISE',
                 "SAUDI ARABIA OPPOSES DRASTIC CHANGE IN OIL PRICE",
                 "(CORRECTED) - SAUDI ARABIA OPPOSES DRASTIC OIL PRICE CHANGE",
                 "OPEC TO REVIEW OIL PRICE ACCORD IN VIENNA"]
