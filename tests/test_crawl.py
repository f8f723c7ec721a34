"""The crawler against a local news site (tests/sites/news) on 127.0.0.1: no network.

One full crawl (module fixture) is asserted from several sides: what was
fetched, skipped with which reasons, stored, indexed and searchable, kept as
WARC and re-normalized.  Then a re-crawl (conditional requests), a killed
crawl that resumes, a max-pages stop, sitemaps found in robots.txt, a redirect
racing its own target, and quiet progress when stderr is not a terminal.
"""
from __future__ import annotations
import contextlib

import hashlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import DataDir, SearchRequest, SearchService, Store, pipeline
from indexer.cli import cli
from indexer.crawl import CrawlConfig, Source, crawl, format_report, load_sources
from indexer.crawl.frontier import Frontier, body_hash
from indexer.crawl.listings import feed_links, sitemap_links
from indexer.crawl.urls import normalize_url

SITE = Path(__file__).parent / "sites" / "news"
REPO = Path(__file__).resolve().parents[1]
NEWS = SITE / "news" / "2024"
SLOW_SECONDS = 3
RACE_SECONDS = 0.5
HUGE_BYTES = 300_000


class NewsSite(BaseHTTPRequestHandler):
    """Serves tests/sites/news plus the misbehaving pages; logs (method, path, status, time)."""

    log: list[tuple[str, str, int, float]] = []
    agents: set[str] = set()
    host = ""

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.log.append(("GET", self.path, status, self.received))
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the crawler gave up (timeout, too large, not html)
            pass

    def do_GET(self):
        self.received = time.monotonic()
        self.agents.add(self.headers.get("User-Agent", ""))
        path = self.path.split("?")[0]
        page = "<html><head><title>{0}</title></head><body><p>{0}</p></body></html>"
        if path == "/news/2024/broken.html":
            return self._send(500, page.format("Server error").encode())
        if path == "/news/2024/slow.html":
            time.sleep(SLOW_SECONDS)
            return self._send(200, page.format("Too late").encode())
        if path == "/news/2024/huge.html":
            return self._send(200, b"<html><body>" + b"<p>word </p>" * (HUGE_BYTES // 12) + b"</body></html>")
        if path == "/news/2024/loop.html":
            return self._send(302, headers=[("Location", "/news/2024/loop-again.html")])
        if path == "/news/2024/loop-again.html":
            return self._send(302, headers=[("Location", "/news/2024/loop.html")])
        if path == "/news/2024/moved.html":
            return self._send(301, headers=[("Location", "/news/2024/chip-rules.html")])
        if path == "/news/race/sitemap.xml":     # a page and a redirect to it, listed together
            urls = "".join(f"<url><loc>http://{self.host}/news/race/{name}.html</loc></url>"
                           for name in ("target", "moved"))
            return self._send(200, f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/'
                              f'schemas/sitemap/0.9">{urls}</urlset>'.encode(), "application/xml")
        if path == "/news/race/moved.html":
            return self._send(301, headers=[("Location", "/news/race/target.html")])
        if path == "/news/race/target.html":       # slow: still in flight when the redirect lands
            time.sleep(RACE_SECONDS)
            return self._send(200, (NEWS / "rates-hold.html").read_bytes())
        if path == "/news/2024/report.pdf":
            return self._send(200, b"%PDF-1.4\n" + bytes(range(256)) * 20, "application/pdf")
        file = SITE / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            return self._send(404, page.format("Not found").encode())
        body = file.read_bytes().replace(b"HOST", self.host.encode())
        mtime = int(file.stat().st_mtime)
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        since = self.headers.get("If-Modified-Since")
        if self.headers.get("If-None-Match") == etag or (
                since and parsedate_to_datetime(since).timestamp() >= mtime):
            return self._send(304, ctype="text/html")
        ctype = {".xml": "application/xml", ".txt": "text/plain"}.get(file.suffix, "text/html")
        return self._send(200, body, ctype, [("Last-Modified", formatdate(mtime, usegmt=True)),
                                             ("ETag", etag)])


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a crawler hanging up is expected
        pass


@contextlib.contextmanager
def served(handler):
    """``handler`` served on a free loopback port (its ``host`` set); yields the base URL."""
    server = QuietServer(("127.0.0.1", 0), handler)
    handler.host = f"127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{handler.host}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site():
    with served(NewsSite) as url:
        yield url


def config_for(site: str, **overrides) -> CrawlConfig:
    settings = dict(delay=0.0, timeout=1.0, max_bytes=100_000, retries=0, retry_backoff=600.0,
                    contact_url="https://newsdesk.example.org/bot", autothrottle=True,
                    allow_addresses=["127.0.0.1"])
    settings.update(overrides)
    source = Source(name="Harbor Gazette", feeds=[f"{site}/feed.xml"],
                    sitemaps=[f"{site}/sitemap.xml"], start_urls=[f"{site}/"],
                    allowed_domains=["127.0.0.1"], article_patterns=[r"/news/", r"/world/"])
    return CrawlConfig(sources=[source], **settings)


def outcomes(data: DataDir) -> dict[str, tuple[str, str, str]]:
    """{path: (state, outcome, reason)} from crawl.sqlite."""
    with Frontier(data.crawl_db) as frontier:
        rows = frontier.db.execute("SELECT url, state, outcome, reason FROM urls").fetchall()
    return {(r[0].split(NewsSite.host, 1)[1] if NewsSite.host in r[0] else r[0]): tuple(r[1:])
            for r in rows}


def fetched(log, since=0.0, status=200) -> list[str]:
    return [p.split("?")[0] for _, p, s, t in log if s == status and t >= since]


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    """One full crawl of the site: (data dir, server log slice, progress updates, seconds)."""
    data = DataDir(tmp_path_factory.mktemp("crawl") / "data")
    NewsSite.log.clear()
    NewsSite.agents.clear()
    updates: list[dict] = []
    started = time.monotonic()
    crawl(data, config_for(site), progress=updates.append)
    return data, list(NewsSite.log), updates, time.monotonic() - started


# -- one crawl, asserted from every side -----------------------------------------

def test_every_url_has_an_outcome_with_a_reason(crawled, site):
    data, _, _, _ = crawled
    got = outcomes(data)
    expect = {
        "/news/2024/ceasefire-talks.html": ("done", "article"),
        "/news/2024/rates-hold.html": ("done", "article"),
        "/news/2024/chip-rules.html": ("done", "article"),
        "/news/2024/euro-inflation.html": ("done", "article"),
        "/news/2024/ceasefire-talks-print.html": ("done", "duplicate"),
        "/news/2024/video-briefing.html": ("done", "not_article"),
        "/": ("done", "not_article"),
        "/world/": ("done", "not_article"),
        "/feed.xml": ("done", "listed"),
        "/sitemap.xml": ("done", "listed"),
        "/news/2024/moved.html": ("done", "redirected"),
        "/news/2024/broken.html": ("retry", "http_500"),
        "/news/2024/slow.html": ("retry", "timeout"),
        "/news/2024/huge.html": ("failed", "too_large"),
        "/news/2024/loop.html": ("failed", "redirect_loop"),
        "/news/2024/missing.html": ("failed", "http_404"),
        "/news/2024/report.pdf": ("failed", "not_html"),
        "/news/drafts/plan.html": ("failed", "robots"),
        "https://elsewhere.example.net/wire/story.html": ("skipped", "offsite"),
    }
    assert {k: got[k][:2] for k in expect if k in got} == expect
    assert "print" not in got["/news/2024/ceasefire-talks.html"][2]
    assert got["/news/2024/ceasefire-talks-print.html"][2] == \
        f"same text as {site}/news/2024/ceasefire-talks.html"
    assert got["/news/2024/video-briefing.html"][2].startswith("not an article: a video.other page")
    assert got["/news/2024/huge.html"][2] == "larger than 100000 bytes"
    assert got["/news/2024/report.pdf"][2] == "content type application/pdf"
    assert got["/news/2024/loop.html"][2] == "more than 5 redirects"
    # a tracking-parameter URL in the feed and the home page's #fragment link are one entry
    assert not [k for k in got if "utm_" in k or "#" in k]


def test_polite_fetching(crawled):
    _, log, _, _ = crawled
    paths = [p for _, p, _, _ in log]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert not [p for p in paths if p.startswith("/private/")]       # robots.txt obeyed
    assert paths.count("/news/2024/ceasefire-talks.html") == 1        # one fetch per article
    # robots.txt Crawl-delay (0.1 s) spaces the requests even with delay=0
    times = sorted(t for _, p, _, t in log if p != "/robots.txt")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.08, gaps


def test_user_agent_names_the_contact_url(crawled):
    assert NewsSite.agents == {"newsdesk/0.1 (+https://newsdesk.example.org/bot)"}


def test_articles_are_stored_tagged_and_searchable(crawled):
    data, _, _, _ = crawled
    with Store(data.store_path) as store:
        articles = {a.title: a for a in store}
    assert sorted(articles) == ["Bank of Japan holds interest rates",
                                "Inflation eases across the euro area",
                                "Japan and US agree on chip export rules",
                                "US opposes Israeli ground invasion of Lebanon"]
    war = articles["US opposes Israeli ground invasion of Lebanon"]
    assert war.source == "Harbor Gazette" and war.authors == ("Dana Whitfield", "Omar Haddad")
    assert war.published.isoformat() == "2024-09-24T14:15:00+00:00"
    assert {"US", "IL", "LB"} <= set(war.countries)
    assert "Lloyd Austin" in {o.name for o in war.officials}
    assert "comments" not in war.body.lower() and "Read more" not in war.body
    euro = articles["Inflation eases across the euro area"]
    assert "café owner" in euro.body and "€3.20" in euro.body and "“We are" in euro.body
    pipeline.index(data)
    service = SearchService(data)
    try:
        result = service.search(SearchRequest.from_params({"q": "ground invasion", "country": "LB"}))
        assert [h.title for h in result.hits] == ["US opposes Israeli ground invasion of Lebanon"]
        assert {f.value for f in result.facets["source"]} == {"Harbor Gazette"}
        assert service.search(SearchRequest.from_params({"q": "interest rates"})).total == 2
    finally:
        service.engine.close()


def test_progress_and_report(crawled):
    data, _, updates, seconds = crawled
    assert updates and updates[-1]["final"] is True
    assert updates[-1]["fetched"] >= 10 and updates[-1]["failed"] >= 6
    assert seconds < 20
    result = CliRunner().invoke(cli, ["--data-dir", str(data.root), "crawl", "--report"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "outcomes: " in result.output and "article 4" in result.output
    assert "robots" in result.output and "disallowed by robots.txt" in result.output
    assert "timeout" in result.output and "no answer within 1.0 s" in result.output
    as_json = CliRunner().invoke(cli, ["--data-dir", str(data.root), "crawl", "--report", "--json"])
    report = json.loads(as_json.output)
    assert report["outcomes"]["article"] == 4
    assert {f["outcome"] for f in report["failures"]} >= {
        "robots", "timeout", "too_large", "not_html", "redirect_loop", "http_500", "http_404",
        "offsite"}


def test_warc_files_renormalize_without_crawling(crawled, tmp_path):
    data, _, _, _ = crawled
    assert list(data.raw_dir.glob("crawl-*.warc.gz"))
    copy = DataDir(tmp_path / "copy").ensure()
    copy.raw_dir.mkdir()
    for warc in data.raw_dir.iterdir():
        (copy.raw_dir / warc.name).write_bytes(warc.read_bytes())
    mark = time.monotonic()
    result = CliRunner().invoke(cli, ["--data-dir", str(copy.root), "normalize"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [p for _, p, _, t in NewsSite.log if t >= mark] == []     # nothing fetched
    with Store(copy.store_path) as a, Store(data.store_path) as b:
        assert a.hashes() == b.hashes()
    assert "duplicate of" in result.output and "not an article" in result.output


# -- re-crawl, resume, limits --------------------------------------------------------

def _copy(data: DataDir, to: Path) -> DataDir:
    import shutil
    shutil.copytree(data.root, to)
    return DataDir(to)


def test_recrawl_sends_conditional_requests(crawled, site, tmp_path):
    data = _copy(crawled[0], tmp_path / "data")     # after one full crawl
    mark = time.monotonic()
    crawl(data, config_for(site))                   # again: only the seeds are revisited
    assert set(fetched(NewsSite.log, mark)) == {"/robots.txt"}
    assert set(fetched(NewsSite.log, mark, 304)) == {"/feed.xml", "/sitemap.xml", "/"}
    # the 500 and the timeout wait for their backoff (600 s) instead of being hammered
    assert outcomes(data)["/news/2024/broken.html"][:2] == ("retry", "http_500")
    mark = time.monotonic()
    crawl(data, config_for(site, recrawl=True))     # revisit every page, conditionally
    assert set(fetched(NewsSite.log, mark)) == {"/robots.txt"}
    assert "/news/2024/rates-hold.html" in fetched(NewsSite.log, mark, 304)
    assert outcomes(data)["/news/2024/rates-hold.html"][:2] == ("done", "unchanged")
    with Store(data.store_path) as store:
        assert store.count() == 4


def test_failures_back_off_then_give_up(tmp_path):
    with Frontier(tmp_path / "crawl.sqlite") as frontier:
        frontier.add("http://a.example/x", "page")
        before = time.time()
        assert frontier.failed("http://a.example/x", "timeout", "slow", retryable=True,
                               max_attempts=3, backoff=10) == "retry"
        row = frontier.get("http://a.example/x")
        assert row["attempts"] == 1 and before + 10 <= row["next_try"] <= time.time() + 10
        assert frontier.due() == []                 # not before the backoff
        frontier.failed("http://a.example/x", "timeout", "slow", retryable=True,
                        max_attempts=3, backoff=10)
        assert frontier.get("http://a.example/x")["next_try"] >= before + 20   # doubled
        assert frontier.failed("http://a.example/x", "timeout", "slow", retryable=True,
                               max_attempts=3, backoff=10) == "failed"
        assert frontier.failed("http://a.example/y", "robots", "disallowed") == "failed"


def _run_cli(data: DataDir, site: str, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from indexer.cli import main; main()", "--data-dir", str(data.root), "crawl",
           "--feed", f"{site}/feed.xml", "--sitemap", f"{site}/sitemap.xml", "--start", f"{site}/",
           "--allow-domain", "127.0.0.1", "--allow-address", "127.0.0.1",
           "--article-pattern", "/news/|/world/", "--timeout", "1", "--retries", "0", "--max-bytes", "100000", *extra]
    return subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _done(data: DataDir) -> set[str]:
    if not data.crawl_db.exists():
        return set()
    try:
        with sqlite3.connect(data.crawl_db, timeout=5) as db:
            return {r[0] for r in db.execute(
                "SELECT url FROM urls WHERE state <> 'queued' AND kind = 'page'")}
    except sqlite3.OperationalError:
        return set()


def test_killed_crawl_resumes_without_refetching(site, tmp_path):
    data = DataDir(tmp_path / "data")
    worker = _run_cli(data, site, "--delay", "0.4")
    deadline = time.monotonic() + 30
    while len(_done(data)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)          # the CLI and its crawl worker, mid-crawl
    worker.wait()
    first = _done(data)
    assert len(first) >= 3
    with Frontier(data.crawl_db) as frontier:
        assert frontier.counts()["queued"] > 0     # work was left
    mark = time.monotonic()
    second = _run_cli(data, site, "--delay", "0")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    # stderr is a pipe, not a terminal: a progress line every 5 s at most, plus the last one
    progress_lines = [line for line in err.splitlines() if "pages/s" in line]
    assert 1 <= len(progress_lines) <= 1 + (time.monotonic() - mark) / 5, err
    refetched = {f"{site}{p}" for p in fetched(NewsSite.log, mark)} & first
    assert refetched == set()
    got = outcomes(data)
    assert [k for k, v in got.items() if v[0] == "queued"] == []
    assert sum(1 for v in got.values() if v[1] == "article") == 4
    assert "articles" in out or "done" in out


def test_max_pages_stops_with_work_left(site, tmp_path):
    data = DataDir(tmp_path / "data")
    crawl(data, config_for(site, max_pages=2))
    got = outcomes(data)
    pages = [k for k, v in got.items() if v[0] != "queued" and not k.endswith(".xml")
             and v[1] != "offsite"]
    assert len(pages) == 2, got
    assert sum(1 for v in got.values() if v[0] == "queued") >= 5


def test_sitemaps_listed_in_robots_txt_are_crawled(site, tmp_path):
    # only a section front is given; chip-rules and rates-hold are linked from no page it
    # reaches, only from the sitemap that robots.txt names ("Sitemap: http://HOST/sitemap.xml")
    data = DataDir(tmp_path / "data")
    source = Source(name="Harbor Gazette", start_urls=[f"{site}/world/"],
                    allowed_domains=["127.0.0.1"], article_patterns=[r"/news/", r"/world/"])
    crawl(data, CrawlConfig(sources=[source], delay=0.0, timeout=1.0, retries=0,
                            max_bytes=100_000, allow_addresses=["127.0.0.1"]))
    got = outcomes(data)
    assert got["/sitemap.xml"][:2] == ("done", "listed")
    assert got["/news/2024/chip-rules.html"][:2] == ("done", "article")
    assert got["/news/2024/rates-hold.html"][:2] == ("done", "article")
    with Frontier(data.crawl_db) as frontier:
        assert frontier.get(f"{site}/sitemap.xml")["found_from"] == f"{site}/robots.txt"


def test_a_redirect_and_its_target_in_flight_fetch_the_target_once(site, tmp_path):
    data = DataDir(tmp_path / "data")
    source = Source(name="Harbor Gazette", sitemaps=[f"{site}/news/race/sitemap.xml"],
                    allowed_domains=["127.0.0.1"], article_patterns=[r"/news/"])
    mark = time.monotonic()
    crawl(data, CrawlConfig(sources=[source], delay=0.0, timeout=2.0, retries=0,
                            robots_sitemaps=False, allow_addresses=["127.0.0.1"]))
    paths = fetched(NewsSite.log, mark, status=200) + fetched(NewsSite.log, mark, status=301)
    assert paths.count("/news/race/target.html") == 1, paths
    assert paths.count("/news/race/moved.html") == 1
    assert "/sitemap.xml" not in paths                       # robots_sitemaps=False
    got = outcomes(data)
    assert got["/news/race/target.html"][:2] == ("done", "article")
    assert got["/news/race/moved.html"] == ("done", "redirected",
                                            f"to {site}/news/race/target.html")
    with Store(data.store_path) as store:
        assert store.count() == 1


# -- small parts -------------------------------------------------------------------

def test_normalize_url_drops_tracking_fragment_and_default_port():
    assert normalize_url("HTTP://Example.ORG:80/a/b.html?utm_source=x&id=3#top") == \
        "http://example.org/a/b.html?id=3"
    assert normalize_url("../c.html", "https://example.org:443/a/b/") == "https://example.org/a/c.html"
    assert normalize_url("mailto:desk@example.org") == ""


def test_feed_and_sitemap_links():
    assert feed_links((SITE / "feed.xml").read_bytes())[1] == "http://HOST/news/2024/rates-hold.html"
    kind, links = sitemap_links((SITE / "sitemap.xml").read_bytes())
    assert kind == "urlset" and links[0] == "http://HOST/news/2024/chip-rules.html"


def test_body_hash_ignores_case_and_spacing():
    assert body_hash("The  cat\nsat.") == body_hash("the cat sat")
    assert body_hash("the cat sat") != body_hash("the dog sat")


def test_sources_file_is_a_valid_config():
    config = load_sources(REPO / "corpus" / "sources.toml").validate()
    assert len(config.sources) >= 3 and config.contact_url.startswith("https://")
    assert all(s.feeds or s.sitemaps or s.start_urls for s in config.sources)


def test_format_report_lists_failures(crawled):
    data, _, _, _ = crawled
    from indexer.crawl import report
    text = format_report(report(data))
    assert text.splitlines()[0].endswith("skipped")
    assert "redirect_loop" in text


# -- the same crawl on a shared (Redis) frontier ------------------------------------

def test_the_redis_frontier_records_what_the_sqlite_one_does(crawled, site, redis_server, tmp_path):
    """The full crawl again, one worker on a Redis frontier: the same outcome and reason for
    every URL, the same articles stored, each page fetched as often, robots.txt obeyed."""
    from indexer.crawl import report as report_of
    from indexer.crawl.redis_frontier import PREFIX, RedisFrontier
    url = f"{redis_server}/1"
    with RedisFrontier(url) as frontier:
        frontier.db.flushdb()
    data = DataDir(tmp_path / "data")
    mark = time.monotonic()
    report = crawl(data, config_for(site, frontier=url))
    log = [p for _, p, _, t in NewsSite.log if t >= mark]
    with RedisFrontier(url) as frontier:
        keys = [k.removeprefix(PREFIX + "url:") for k in frontier.db.scan_iter(PREFIX + "url:*")]
        rows = {k: frontier.get(k) for k in keys}
    got = {(u.split(NewsSite.host, 1)[1] if NewsSite.host in u else u):
           (r["state"], r["outcome"], r["reason"]) for u, r in rows.items()}
    assert got == outcomes(crawled[0])
    assert sorted(log) == sorted(p for _, p, _, _ in crawled[1])
    assert report.outcomes == report_of(crawled[0]).outcomes
    with Store(data.store_path) as a, Store(crawled[0].store_path) as b:
        assert a.hashes() == b.hashes()
