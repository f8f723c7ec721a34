"""Index lifecycle: incremental updates, atomic rebuilds, failures that lose nothing."""
import pytest

from indexer import Article, IndexUnavailable, NewsdeskError, SearchRequest, SearchService, Store
from indexer import engine, pipeline
from indexer.engine import current_generation
from indexer.query import parse


def ids(service, **params):
    return {h.id for h in service.search(SearchRequest.from_params({"per_page": 100, **params})).hits}


def fresh(data_dir):
    svc = SearchService(data_dir)
    svc.engine.check_every = 0  # look for new generations on every request
    return svc


def test_index_after_nothing_changed_does_nothing(data_dir):
    report = pipeline.index(data_dir)
    assert (report.added, report.updated, report.deleted) == (0, 0, 0)


def test_index_adds_updates_and_deletes_by_id(data_dir):
    svc = fresh(data_dir)
    assert ids(svc, q="invasion") == {"a1"}
    with Store(data_dir.store_path) as store:
        store.upsert([Article(id="a6", title="Ceasefire talks in Cairo", countries=("EG",)),
                      Article(id="a1", title="Austin and Gallant talk again", body="no invasion")])
        store.delete(["a5"])
    report = pipeline.index(data_dir)
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    assert ids(svc, q="ceasefire") == {"a6"}
    assert ids(svc, q="gallant") == {"a1"}
    assert ids(svc) == {"a1", "a2", "a3", "a4", "a6"}
    assert {v.value for v in svc.search(SearchRequest()).facets["country"]} >= {"EG"}


def test_reindex_swaps_in_a_new_generation_while_the_old_one_serves(data_dir):
    svc = fresh(data_dir)
    before = current_generation(data_dir.index_root)
    assert ids(svc, q="lebanon") == {"a1", "a5"}
    with Store(data_dir.store_path) as store:
        store.delete(["a5"])
    report = pipeline.reindex(data_dir)
    after = current_generation(data_dir.index_root)
    assert report.rebuilt and after != before and not before.exists()
    assert ids(svc, q="lebanon") == {"a1"}
    assert [p.name for p in data_dir.index_root.glob("gen-*")] == [after.name]


def test_a_killed_reindex_leaves_the_old_index_intact(data_dir):
    svc = fresh(data_dir)
    live = current_generation(data_dir.index_root)

    def dies_half_way():
        with Store(data_dir.store_path) as store:
            for n, article in enumerate(store):
                if n == 2:
                    raise KeyboardInterrupt
                yield article
    with pytest.raises(KeyboardInterrupt):
        engine.build(data_dir.index_root, dies_half_way(), procs=1)
    assert current_generation(data_dir.index_root) == live
    assert ids(svc) == {"a1", "a2", "a3", "a4", "a5"}
    # a process killed outright leaves a half-written folder: the next build removes it
    (data_dir.index_root / "gen-000099").mkdir()
    (data_dir.index_root / "gen-000099" / "_MAIN_1.toc").write_bytes(b"half")
    assert ids(svc) == {"a1", "a2", "a3", "a4", "a5"}
    pipeline.reindex(data_dir)
    assert [p.name for p in data_dir.index_root.glob("gen-*")] == ["gen-000100"]


def test_two_index_workers_build_the_same_index_as_one(data_dir, tmp_path):
    with Store(data_dir.store_path) as store:
        articles = list(store)
    one, two = tmp_path / "one", tmp_path / "two"
    engine.build(one, articles, procs=1)
    engine.build(two, articles, procs=2)
    backends = engine.WhooshBackend(one), engine.WhooshBackend(two)
    for q in ["invasion", "lebanon", "", "talks -cairo", "ceasefire OR austin"]:
        request = engine.EngineQuery(query=parse(q) if q else None, text=q, limit=100)
        first, second = ({h.id: round(h.score or 0, 6) for h in b.search(request).hits}
                         for b in backends)
        assert first == second
    assert backends[1].stats()["documents"] == len(articles)
    for b in backends:
        b.close()


def test_a_failing_index_worker_fails_the_build_and_loses_nothing(data_dir):
    from whoosh import index
    from indexer.engine.schema import make_schema
    from indexer.engine.writing import build_parallel
    live = current_generation(data_dir.index_root)
    folder = data_dir.index_root / "gen-000050"
    folder.mkdir()
    ix = index.create_in(folder, make_schema())
    docs = [{"id": f"d{n}", "title": "fine"} for n in range(500)] + [{"id": "bad", "title": 5}]
    with pytest.raises(ValueError, match="5 is not unicode"):
        build_parallel(ix, docs, 2)
    assert current_generation(data_dir.index_root) == live
    assert ids(fresh(data_dir)) == {"a1", "a2", "a3", "a4", "a5"}


def test_no_index_yet_is_a_clear_error(tmp_path):
    svc = SearchService(str(tmp_path / "empty"))
    with pytest.raises(IndexUnavailable, match="run `newsdesk index` first"):
        svc.search(SearchRequest())


def test_a_corrupt_index_is_a_clear_error_not_a_crash(data_dir):
    for f in current_generation(data_dir.index_root).iterdir():
        f.write_bytes(b"\x00garbage")
    with pytest.raises(IndexUnavailable, match="cannot open the index"):
        SearchService(data_dir).search(SearchRequest())


def test_a_corrupt_new_generation_keeps_the_last_good_one_serving(data_dir):
    svc = fresh(data_dir)
    assert len(ids(svc)) == 5
    bad = data_dir.index_root / "gen-000050"
    bad.mkdir()
    (bad / "junk").write_bytes(b"x")
    (data_dir.index_root / "CURRENT").write_text("gen-000050\n")
    assert len(ids(svc)) == 5


def test_one_writer_at_a_time(data_dir):
    with engine.write_lock(data_dir.index_root):
        with pytest.raises(NewsdeskError, match="another index or reindex is running"):
            pipeline.reindex(data_dir)


def test_stats(service):
    stats = service.stats()
    assert stats["articles"] == 5 and stats["indexed"] == 5
    assert stats["index"]["generation"] == "gen-000001" and stats["index"]["size_bytes"] > 0
    assert stats["facets"] == {"country": 5, "official": 4, "source": 3}


# -- the seam: one protocol, the backend chosen by configuration -------------------------

def test_the_whoosh_backend_satisfies_the_protocol(data_dir):
    backend = engine.open_backend(data_dir)
    try:
        assert isinstance(backend, engine.SearchBackend)
        assert backend.name == "whoosh"
        hit = backend.article("a2")
        assert (hit.id, hit.title) == ("a2", "Bank of Japan holds interest rates")
        assert backend.article("no-such-id") is None
        assert backend.official_info("Fumio Kishida") == ("Prime Minister", "JP")
        result = backend.search(engine.EngineQuery(query=parse("interest rates"),
                                                   text="interest rates", limit=5))
        assert {h.id for h in result.hits} == {"a2", "a4"}
        assert dict(result.facets["country"]) == {"JP": 1, "DE": 1}
    finally:
        backend.close()


def test_the_engine_is_chosen_by_flag_or_environment(data_dir, monkeypatch):
    from click.testing import CliRunner
    from indexer.cli import cli
    base = ["--data-dir", str(data_dir.root)]
    bad = CliRunner().invoke(cli, [*base, "--engine", "elastic://x", "search", "rates"])
    assert bad.exit_code == 1
    assert "unknown engine 'elastic://x': choose one of whoosh" in bad.output
    monkeypatch.setenv("NEWSDESK_ENGINE", "nope")
    assert CliRunner().invoke(cli, [*base, "stats"]).exit_code == 1
    good = CliRunner().invoke(cli, [*base, "--engine", "whoosh", "search", "rates"])
    assert good.exit_code == 0 and "Bank of Japan" in good.output


def test_search_hands_the_backend_the_parsed_tree_not_engine_syntax(service):
    # Whoosh's own syntax is not ours: a wildcard is a plain character, so "japan*" is the
    # word japan, and an unknown field is part of a word, never a field query
    assert ids(service, q="japan*") == ids(service, q="japan")
    assert ids(service, q="official_info:kishida") == ids(service, q="official info kishida")
    assert SearchRequest.from_params({"q": "oil OR gas"}).query == parse("oil OR gas")


def test_the_backend_searches_the_tree_it_is_given_not_the_text(data_dir):
    backend = engine.open_backend(data_dir)
    request = engine.EngineQuery(query=parse("lebanon"), text="typed as something else",
                                 limit=100)
    assert {h.id for h in backend.search(request).hits} == {"a1", "a5"}
    backend.close()


def _answers(service) -> list[dict]:
    requests = [{}, {"q": "lebanon"}, {"country": "US"}, {"q": "talks", "sort": "newest"},
                {"official": "Lloyd Austin"}, {"from": "2024-01-01"}]
    out = []
    for params in requests:
        data = service.search(SearchRequest.from_params({"per_page": 100, **params})).to_json()
        data.pop("took_ms", None)
        out.append(data)
    return out


def _saved(data_dir):
    return sorted(p.name for p in current_generation(data_dir.index_root).glob("snapshot-*.npz"))


def test_a_new_process_opens_the_saved_snapshot_and_answers_the_same(data_dir, monkeypatch):
    from indexer.engine.caches import FacetCache

    first = fresh(data_dir)
    built = _answers(first)
    assert len(_saved(data_dir)) == 1                # the first open saved its columns
    monkeypatch.setattr(FacetCache, "load", None)    # a second open must not build them
    assert _answers(fresh(data_dir)) == built


def test_a_damaged_saved_snapshot_is_ignored(data_dir):
    built = _answers(fresh(data_dir))
    path = current_generation(data_dir.index_root) / _saved(data_dir)[0]
    path.write_bytes(path.read_bytes()[:100])        # torn
    assert _answers(fresh(data_dir)) == built


def test_each_commit_saves_its_own_snapshot_and_drops_the_older(data_dir):
    svc = fresh(data_dir)
    ids(svc)
    before = _saved(data_dir)
    with Store(data_dir.store_path) as store:
        store.delete(["a5"])
    pipeline.index(data_dir)
    assert "a5" not in ids(svc) and "a5" not in ids(fresh(data_dir))
    after = _saved(data_dir)
    assert len(after) == 1 and after != before


def test_the_saved_speller_answers_in_a_process_with_another_hash_seed(data_dir):
    """index saved the speller; a new process (another PYTHONHASHSEED) loads it, and its
    suggestions are those of a speller built in place."""
    import os
    import subprocess
    import sys

    gen = current_generation(data_dir.index_root)
    assert list(gen.glob("speller-*.npz"))
    built = fresh(data_dir).search(SearchRequest.from_params({"q": "invasoin", "as_typed": "1"}))
    code = ("import sys; from indexer import DataDir, SearchRequest, SearchService; "
            "from indexer.engine.caches import Speller; Speller.load = None; "
            "svc = SearchService(DataDir.resolve(sys.argv[1])); "
            "print(svc.search(SearchRequest.from_params({'q': 'invasoin', 'as_typed': '1'}))"
            ".suggestion)")
    out = subprocess.run([sys.executable, "-c", code, str(data_dir.root)], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "4242"}).stdout.strip()
    assert built.suggestion == "invasion" and out == "invasion"


def test_saving_a_snapshot_removes_what_older_ones_left(tmp_path):
    import numpy as np

    from indexer.engine import saved
    (tmp_path / ".snapshot-1.npz.99.tmp").write_bytes(b"torn")
    saved.save(tmp_path, 1, {"a": np.arange(3)}, {"size": 3})
    saved.save(tmp_path, 2, {"a": np.arange(4)}, {"size": 4})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot-2.npz"]
    assert saved.load(tmp_path, 2, 4)["a"].tolist() == [0, 1, 2, 3]
    assert saved.load(tmp_path, 2, 5) is None        # not for this many docs
