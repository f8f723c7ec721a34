"""The crawler connects only where it may: allowed domains at allowed addresses.

A local news site on 127.0.0.1 (allowed with ``allow_addresses=["127.0.0.1"]``)
redirects -- 302, 301, meta refresh, a chain -- to "internal" servers: one on
127.0.0.2 (an allowed domain, but a loopback address nobody allowed) and one
reached as ``localhost`` (not an allowed domain).  Each internal server counts
every request it gets; none may get one, and nothing of theirs may be stored.
Only loopback addresses are used, as targets and as refused targets.
"""
from __future__ import annotations

import re

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from indexer import DataDir, Store
from indexer.cli import cli
from indexer.crawl import CrawlConfig, Source, crawl, format_report, load_sources
from indexer.crawl.frontier import Frontier
from indexer.crawl.guard import UrlPolicy, is_public, parse_networks
from indexer.errors import BadInput

def article(title: str, topic: str = "the harbor budget") -> str:
    """A page the normalizer takes for an article: og:type, a headline, five paragraphs."""
    paragraphs = "".join(
        f"<p>{title}: paragraph {n} on {topic}, with the details the council, the mayor and "
        f"the residents argued over for {n + 2} hours on Tuesday evening.</p>" for n in range(5))
    return (f'<html><head><title>{title}</title><meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-05-02T10:00:00Z"></head>'
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


SECRET = article("Internal payroll report", "confidential salaries for internal eyes only")


class Server(BaseHTTPRequestHandler):
    """Serves ``routes`` {path: (status, headers, body)}; counts requests in ``seen``."""

    routes: dict = {}
    seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.seen.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {}, "not found"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def serve(host: str, routes: dict):
    handler = type("Handler", (Server,), {"routes": routes, "seen": []})
    server = Quiet((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler.seen


@pytest.fixture(scope="module")
def sites():
    """(site URL, internal-on-127.0.0.2, internal-as-localhost, robots-blocking host)."""
    secret = {"/internal/secret.html": (200, {}, SECRET), "/robots.txt": (200, {}, "")}
    internal2, seen2 = serve("127.0.0.2", secret)
    internal1, seen1 = serve("127.0.0.1", secret)
    blocked, seen_blocked = serve("127.0.0.1", {
        "/robots.txt": (200, {}, "User-agent: *\nDisallow: /private/\n"),
        "/private/page.html": (200, {}, article("Private page")),
        "/public/page.html": (200, {}, article("Public page"))})
    to2 = f"http://127.0.0.2:{internal2.server_address[1]}/internal/secret.html"
    to_localhost = f"http://localhost:{internal1.server_address[1]}/internal/secret.html"
    other = f"http://127.0.0.1:{blocked.server_address[1]}"
    routes = {
        "/robots.txt": (200, {}, ""),
        "/r302": (302, {"Location": to2}, ""),
        "/r301": (301, {"Location": to_localhost}, ""),
        "/meta": (200, {}, f'<html><head><meta http-equiv="refresh" content="0; url={to2}">'
                           f"</head><body>moved</body></html>"),
        "/chain": (302, {"Location": "/chain2"}, ""),
        "/chain2": (302, {"Location": to2}, ""),
        "/links": (200, {}, f'<html><body><a href="{to2}">a</a> <a href="{to_localhost}">b</a>'
                            f"</body></html>"),
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"},
                      f"<rss><channel><item><link>{to2}</link></item></channel></rss>"),
        "/to-private": (302, {"Location": f"{other}/private/page.html"}, ""),
        "/to-public": (302, {"Location": f"{other}/public/page.html"}, ""),
        "/story": (200, {}, article("Harbor budget passes")),
    }
    site, seen_site = serve("127.0.0.1", routes)
    url = f"http://127.0.0.1:{site.server_address[1]}"
    yield url, seen2, seen1, seen_blocked, seen_site
    for server in (internal2, internal1, blocked, site):
        server.shutdown()
        server.server_close()


def settings(**overrides):
    values = dict(delay=0.0, timeout=2.0, retries=0, max_depth=2, robots_sitemaps=False,
                  contact_url="https://newsdesk.example.org/bot")
    values.update(overrides)
    return values


def rows(data: DataDir) -> dict[str, tuple[str, str, str]]:
    with Frontier(data.crawl_db) as frontier:
        return {r["url"]: (r["state"], r["outcome"], r["reason"])
                for r in frontier.db.execute("SELECT url, state, outcome, reason FROM urls")}


@pytest.fixture(scope="module")
def redirected(sites, tmp_path_factory):
    url, *_ = sites
    data = DataDir(tmp_path_factory.mktemp("guard") / "data")
    source = Source(name="Harbor Gazette", feeds=[f"{url}/feed.xml"],
                    start_urls=[f"{url}/{p}" for p in
                                ("r302", "r301", "meta", "chain", "links", "to-private",
                                 "to-public", "story")],
                    allowed_domains=["127.0.0.1", "127.0.0.2"])
    report = crawl(data, CrawlConfig(sources=[source], allow_addresses=["127.0.0.1"],
                                     **settings()))
    return data, report


def test_redirects_to_refused_targets_fetch_nothing_from_them(sites, redirected):
    _, seen2, seen1, _, _ = sites
    assert seen2 == []      # 127.0.0.2: not even robots.txt
    assert seen1 == []      # localhost: not even robots.txt


def test_nothing_from_a_refused_target_is_stored(redirected):
    data, _ = redirected
    with Store(data.store_path) as store:
        titles = sorted(a.title for a in store)
    assert titles == ["Harbor budget passes", "Public page"]


def test_every_refusal_is_reported_with_its_reason(sites, redirected):
    url, *_ = sites
    data, report = redirected
    got = rows(data)
    for path in ("r302", "meta", "chain"):
        state, outcome, reason = got[f"{url}/{path}"]
        assert (state, outcome) == ("failed", "refused"), (path, reason)
        assert "127.0.0.2" in reason and "is not public" in reason, reason
    state, outcome, reason = got[f"{url}/r301"]
    assert (state, outcome) == ("failed", "refused")
    assert "host localhost is not on the allowed domains" in reason
    refused_targets = {u for u, (_, outcome, _) in got.items()
                       if outcome == "refused" and "/internal/" in u}
    assert any("127.0.0.2" in u for u in refused_targets)
    assert report.outcomes["refused"] >= 4
    text = format_report(report)
    assert "refused" in text and "redirect to http://127.0.0.2" in text


def test_robots_txt_is_honoured_on_a_redirect_target(sites, redirected):
    url, _, _, seen_blocked, _ = sites
    data, _ = redirected
    assert "/robots.txt" in seen_blocked
    assert "/private/page.html" not in seen_blocked          # Disallow: /private/
    assert "/public/page.html" in seen_blocked
    state, outcome, _ = rows(data)[f"{url}/to-private"]
    assert (state, outcome) == ("failed", "robots")


def test_a_host_name_resolving_to_a_refused_address_is_not_fetched(sites, tmp_path):
    url, _, seen1, _, _ = sites
    before = len(seen1)
    target = url.replace("127.0.0.1", "localhost") + "/story"   # the site, by its name
    data = DataDir(tmp_path / "data")
    report = crawl(data, CrawlConfig(sources=[Source(name="Local", start_urls=[target])],
                                     **settings()))                # nothing allowed
    assert len(seen1) == before
    state, outcome, reason = rows(data)[target]
    assert (state, outcome) == ("failed", "refused")
    assert reason.startswith("localhost resolves to 127.0.0.1: address 127.0.0.1 is not public")
    assert report.outcomes == {"refused": 1}


def test_loopback_is_refused_unless_allowed(sites, tmp_path):
    url, _, _, _, seen_site = sites
    before = list(seen_site)
    data = DataDir(tmp_path / "data")
    crawl(data, CrawlConfig(sources=[Source(name="Local", start_urls=[f"{url}/story"])],
                            **settings()))
    assert seen_site == before
    assert rows(data)[f"{url}/story"][1] == "refused"
    with Store(data.store_path) as store:
        assert store.count() == 0


def test_cli_allow_address_and_its_errors(sites, tmp_path):
    url, *_ = sites
    base = ["--data-dir", str(tmp_path / "data"), "crawl", "--start", f"{url}/story",
            "--delay", "0", "--retries", "0"]
    bad = CliRunner().invoke(cli, [*base, "--allow-address", "not-an-address"])
    assert bad.exit_code == 1
    assert "not an IP address or CIDR range: 'not-an-address'" in bad.output
    good = CliRunner().invoke(cli, [*base, "--allow-address", "127.0.0.0/8"])
    assert good.exit_code == 0, good.output
    assert "1 articles" in good.output


def test_sources_file_takes_allow_addresses(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[crawl]\nallow_addresses = ["127.0.0.1", "::1"]\n'
                    '[[source]]\nname = "Local"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    config = load_sources(path).validate()
    policy = config.policy()
    assert policy.address_refusal("127.0.0.1") == ""
    assert policy.address_refusal("::1") == ""
    assert "127.0.0.2 is not public" in policy.address_refusal("127.0.0.2")


def test_every_address_a_name_resolves_to_must_be_allowed():
    policy = UrlPolicy(("news.example",), parse_networks(["127.0.0.1"]))
    one = lambda host: [parse_networks(["127.0.0.1"])[0].network_address]      # noqa: E731
    both = lambda host: [*one(host), parse_networks(["127.0.0.2"])[0].network_address]  # noqa: E731
    assert policy.refusal("http://news.example/a", resolver=one) == ""
    assert policy.refusal("http://news.example/a", resolver=both).startswith(
        "news.example resolves to 127.0.0.2")
    assert policy.refusal("http://other.example/a", resolver=one) == \
        "host other.example is not on the allowed domains"
    assert policy.refusal("file:///etc/passwd").startswith("scheme file")
    assert policy.refusal("ftp://news.example/x").startswith("scheme ftp")


def test_loopback_and_mapped_addresses_are_not_public():
    for address in ("127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::"):
        assert not is_public(parse_networks([address])[0].network_address), address
    with pytest.raises(BadInput):
        parse_networks(["127.0.0.1/33"])


def test_no_control_endpoints_and_only_http_handlers():
    from indexer.crawl.spider import settings_for
    got = settings_for(CrawlConfig(allow_addresses=["127.0.0.1"]))
    assert got["REMOTE_CONTROL_ENABLED"] is False    # Scrapy's code-running HTTP endpoint
    assert got["TELNETCONSOLE_ENABLED"] is False
    assert got["DOWNLOAD_HANDLERS"] == {"file": None, "ftp": None, "s3": None, "data": None}
    assert got["DOWNLOADER_MIDDLEWARES"]["indexer.crawl.spider.UrlGuard"] < 50  # before offsite
    assert got["NEWSDESK_ALLOW_ADDRESSES"] == ["127.0.0.1"]


def _why(found: dict[str, tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """Each URL's outcome and reason, as the guard decided them.  A refused target
    reached first by a redirect is recorded as skipped with "redirect to URL: " before
    the reason, and one reached first as a link as failed: which comes first depends on
    the workers' timing, not on the guard."""
    out = {}
    for url, (state, outcome, reason) in found.items():
        if outcome == "refused":
            out[url] = (outcome, re.sub(r"^redirect to \S+: ", "", reason))
        else:
            out[url] = (f"{state}/{outcome}", reason)
    return out


def test_the_guard_holds_the_same_on_a_redis_frontier(sites, redirected, redis_server, tmp_path):
    """The redirect crawl again, on a shared frontier: nothing reaches a refused target, and
    every URL has the outcome and reason it has with crawl.sqlite."""
    from indexer.crawl.redis_frontier import PREFIX, RedisFrontier
    url, seen2, seen1, seen_blocked, _ = sites
    frontier_url = f"{redis_server}/2"
    with RedisFrontier(frontier_url) as frontier:
        frontier.db.flushdb()
    data = DataDir(tmp_path / "data")
    source = Source(name="Harbor Gazette", feeds=[f"{url}/feed.xml"],
                    start_urls=[f"{url}/{p}" for p in
                                ("r302", "r301", "meta", "chain", "links", "to-private",
                                 "to-public", "story")],
                    allowed_domains=["127.0.0.1", "127.0.0.2"])
    crawl(data, CrawlConfig(sources=[source], allow_addresses=["127.0.0.1"],
                            frontier=frontier_url, **settings()))
    assert seen2 == [] and seen1 == []
    assert "/private/page.html" not in seen_blocked
    with RedisFrontier(frontier_url) as frontier:
        keys = [k.removeprefix(PREFIX + "url:") for k in frontier.db.scan_iter(PREFIX + "url:*")]
        got = {k: (r["state"], r["outcome"], r["reason"]) for k in keys
               if (r := frontier.get(k)) is not None}
    assert _why(got) == _why(rows(redirected[0]))
    with Store(data.store_path) as store:
        assert sorted(a.title for a in store) == ["Harbor budget passes", "Public page"]
