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
