"""Shared fixtures: real data dirs with a real store and Whoosh index in tmp_path."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer import DataDir, SearchService, pipeline
from indexer.cluster import free_ports

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE = REPO / "corpus" / "sample" / "articles.jsonl"

ARTICLES = [
    {"id": "a1", "url": "https://news.example.org/a1", "source": "Example News",
     "title": "US opposes Israeli ground invasion of Lebanon",
     "body": "Defense Secretary Lloyd Austin spoke with Israeli Defense Minister Yoav Gallant "
             "about a ground invasion and a ceasefire with Hezbollah.",
     "published": "2024-09-24", "countries": ["US", "IL", "LB"],
     "officials": [{"name": "Lloyd Austin", "role": "Defense Secretary", "country": "US"},
                   {"name": "Yoav Gallant", "role": "Defense Minister", "country": "IL"}]},
    {"id": "a2", "source": "Harbor Gazette", "title": "Bank of Japan holds interest rates",
     "body": "TOKYO - The Bank of Japan kept interest rates unchanged; Prime Minister Fumio "
             "Kishida welcomed the decision. Exporters cheered the weak yen.",
     "published": "2024-03-19T03:00:00+00:00", "countries": ["JP"],
     "officials": [{"name": "Fumio Kishida", "role": "Prime Minister", "country": "JP"}]},
    {"id": "a3", "source": "Example News", "title": "Japan and US agree on chip export rules",
     "body": "Japanese and American negotiators agreed on export controls for chips in "
             "Washington. Secretary of State Antony Blinken praised the deal.",
     "published": "2024-05-02", "countries": ["JP", "US"],
     "officials": [{"name": "Antony Blinken", "role": "Secretary of State", "country": "US"}]},
    {"id": "a4", "source": "Continental Wire", "title": "German inflation eases in spring",
     "body": "Inflation in Germany eased as energy prices fell, the statistics office said; "
             "interest rates are expected to fall later in the year.",
     "published": "2024-04-30", "countries": ["DE"], "officials": []},
    {"id": "a5", "source": "Continental Wire", "title": "Lebanon braces for escalation",
     "body": "Residents of southern Lebanon fled north as Israeli strikes intensified and "
             "talk of a ground operation grew.",
     "published": "2024-09-25", "countries": ["LB", "IL"], "officials": []},
]


def make_data_dir(path: Path, articles=ARTICLES) -> DataDir:
    """A data dir holding ``articles`` in the store and a built index."""
    data = DataDir(path / "data").ensure()
    src = path / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    report = pipeline.import_files(data, "jsonl", [src])
    assert not report.skipped
    pipeline.index(data)
    return data


@pytest.fixture
def data_dir(tmp_path) -> DataDir:
    return make_data_dir(tmp_path)


@pytest.fixture
def service(data_dir) -> SearchService:
    svc = SearchService(data_dir)
    yield svc
    svc.engine.close()


def needs_shared(*parts: str) -> Path:
    """The path under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs ../shared/data beside the repo")
    return path


REDIS_SERVER = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


@contextmanager
def redis_process(workdir: Path):
    """Run redis-server on a free loopback port, no persistence; yields (url, process)."""
    import redis
    port = free_ports(1)[0]
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        yield url, server
    finally:
        client.close()
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        server.wait()


def needs_redis() -> None:
    """Skip, saying why, unless Debian's redis-server and the redis client are installed."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server); "
                    "the shared-frontier crawl tests need a real one")
    pytest.importorskip("redis", reason="the redis client is not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> str:
    """A real redis-server for the session: ``redis://127.0.0.1:PORT`` (see redis_process).

    Each test file appends its own database number.
    """
    needs_redis()
    with redis_process(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url
