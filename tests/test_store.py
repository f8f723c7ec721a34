from indexer import Article, Store


def test_upsert_adds_then_changes_nothing_then_updates(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        a = Article(id="a", title="One", countries=("US",))
        assert store.upsert([a]).added == 1
        assert store.upsert([a]).unchanged == 1
        assert store.upsert([Article(id="a", title="One, revised")]).updated == 1
        assert store.get("a").title == "One, revised"
        assert store.count() == 1


def test_a_failed_batch_leaves_the_store_as_it_was(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.upsert([Article(id="keep", title="kept")])

        def broken():
            yield Article(id="new", title="new")
            raise RuntimeError("disk full")
        try:
            store.upsert(broken())
        except RuntimeError:
            pass
        assert [a.id for a in store] == ["keep"]


def test_hashes_and_delete(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.upsert([Article(id="a", title="A"), Article(id="b", title="B")])
        assert set(store.hashes()) == {"a", "b"}
        assert store.delete(["a", "missing"]) == 1
        assert list(store.hashes()) == ["b"]


def test_readonly_never_creates_a_store(tmp_path):
    import pytest

    from indexer import BadInput
    with pytest.raises(BadInput):
        Store(tmp_path / "absent.sqlite", readonly=True).count()
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_corrupt_store_file_is_a_clear_error(tmp_path):
    import pytest

    from indexer import BadInput
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BadInput, match="not a newsdesk article store"):
        Store(path)


def test_an_older_store_gains_new_columns(tmp_path):
    import sqlite3
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, url TEXT NOT NULL DEFAULT '', "
               "source TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', body TEXT NOT "
               "NULL DEFAULT '', published TEXT, authors TEXT NOT NULL DEFAULT '[]', language "
               "TEXT NOT NULL DEFAULT 'en', countries TEXT NOT NULL DEFAULT '[]', officials TEXT "
               "NOT NULL DEFAULT '[]', source_tags TEXT NOT NULL DEFAULT '{}', content_hash TEXT "
               "NOT NULL, updated_at TEXT)")
    db.execute("INSERT INTO articles (id, title, content_hash) VALUES ('old', 'Old', 'x')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.get("old").country_mentions == {}
        assert store.upsert([Article(id="new", title="New", country_mentions={"JP": 2})]).added == 1
