"""Stories: near-duplicate detection (indexer/dedup.py) and collapsed results end to end."""
from __future__ import annotations

import json
import random
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import make_data_dir
from indexer import SearchService, dedup, pipeline
from indexer.articles import Article
from indexer.cli import cli
from indexer.search import SearchRequest
from indexer.store import Store

WIRE = ("RIYADH, June 2 - Saudi Arabia's Oil Minister Hisham Nazer said Riyadh would not "
        "agree to a cut in oil prices and would not accept a mad increase that would drive "
        "consumers away from OPEC oil. He told the Saudi newspaper Okaz that the kingdom "
        "wanted prices to stay near the 18 dlr a barrel reference level agreed in December, "
        "and that Saudi output would stay within its quota of 4.133 mln barrels a day "
        "while the organisation meets in Vienna later this month to review the accord.")
OTHER = ("RIYADH, June 3 - OPEC oil ministers will meet in Vienna on June 25 to review the "
         "December accord on oil prices and output, Saudi officials said. Analysts in the "
         "Gulf expect the ministers to keep the 18 dlr reference price, although some "
         "member states want a higher quota, and Iran has called for a price rise to 20 dlrs "
         "to make up for the fall of the dollar against other currencies this year.")


def wire(id, title, body=WIRE, published="1987-06-02T06:18:00+00:00", **more) -> dict:
    return {"id": id, "source": "Reuters", "title": title, "body": body,
            "published": published, "countries": ["SA"], **more}


COPIES = [
    wire("r1", "SAUDI ARABIA WILL NOT AGREE \"MAD\" OIL PRICE RISE"),
    wire("r2", "SAUDI ARABIA OPPOSES DRASTIC CHANGE IN OIL PRICE",
         published="1987-06-02T08:41:00+00:00"),
    wire("r3", "(CORRECTED) - SAUDI ARABIA OPPOSES DRASTIC OIL PRICE CHANGE",
         body=WIRE.replace("4.133 mln", "4.353 mln"), published="1987-06-02T09:05:00+00:00",
         countries=["SA", "AT"]),
    wire("r4", "OPEC TO REVIEW OIL PRICE ACCORD IN VIENNA", body=OTHER,
         published="1987-06-03T07:00:00+00:00"),
]


def articles(rows) -> list[Article]:
    return [Article.from_json(r) for r in rows]


# -- detection -------------------------------------------------------------------

def test_copies_under_other_headlines_share_a_story_named_by_the_earliest():
    stories = dedup.detect(articles(COPIES))
    assert stories["r1"] == stories["r2"] == stories["r3"] == "r1"


def test_a_different_story_on_the_same_topic_is_its_own():
    stories = dedup.detect(articles(COPIES))
    assert stories["r4"] == "r4"
    sig = [dedup.signature(a.title, a.body) for a in articles(COPIES)]
    assert dedup.similarity(sig[0], sig[1]) >= dedup.THRESHOLD
    assert dedup.similarity(sig[0], sig[3]) < 0.2


def test_every_pair_clearly_over_the_threshold_is_found():
    """LSH bands tuned at the threshold itself left about one pair in ten at Jaccard 0.82
    apart (181 of 200 here); bands tuned lower find them all."""
    rng = random.Random(5)
    words = [f"w{n}" for n in range(5000)]
    rows = []
    for n in range(200):
        text = [rng.choice(words) for _ in range(120)]
        edited = list(text)
        for i in rng.sample(range(len(text)), 3):  # three words changed: Jaccard about 0.82
            edited[i] = rng.choice(words)
        rows += [wire(f"p{n}a", "", body=" ".join(text)), wire(f"p{n}b", "", body=" ".join(edited))]
    stories = dedup.detect(articles(rows))
    assert [n for n in range(200) if stories[f"p{n}b"] != f"p{n}a"] == []


def test_a_first_take_and_its_longer_write_through_are_one_story():
    more = (" Oil industry analysts said the Saudi stand would be tested when ministers meet, "
            "since several producers have exceeded their quotas in recent weeks and spot "
            "prices have slipped below the reference level. The minister said Saudi Arabia "
            "had no plan to raise its output and would keep selling its crude at official "
            "prices, whatever other members did, and that the kingdom's customers in Asia "
            "and Europe had renewed their contracts for the second quarter of the year.")
    rows = [wire("t1", "SAUDI ARABIA OPPOSES OIL PRICE RISE"),
            wire("t2", "SAUDI OIL MINISTER SAYS NO TO MAD PRICE RISE", body=WIRE + more,
                 published="1987-06-02T09:30:00+00:00")]
    first, longer = (dedup.shingles(r["title"], r["body"]) for r in rows)
    jaccard = len(first & longer) / len(first | longer)
    assert jaccard < 0.6                      # too far apart for the Jaccard rule alone
    assert dedup.detect(articles(rows)) == {"t1": "t1", "t2": "t1"}


def test_short_formula_texts_and_the_same_text_days_apart_are_not_copies():
    notice = "Qtly div 10 cts vs 10 cts prior Pay April 15 Record March 31"
    rows = [wire("d1", "ALPHA CORP SETS DIVIDEND", body=notice),
            wire("d2", "BETA INC SETS DIVIDEND", body=notice),
            wire("w1", "FED ADDS RESERVES", published="1987-03-02T11:45:00+00:00"),
            wire("w2", "FED ADDS RESERVES", published="1987-03-09T11:45:00+00:00")]
    stories = dedup.detect(articles(rows))
    assert stories == {"d1": "d1", "d2": "d2", "w1": "w1", "w2": "w2"}


def test_detection_is_deterministic_whatever_the_input_order():
    rows = articles(COPIES)
    assert dedup.detect(rows) == dedup.detect(list(reversed(rows)))


def test_incremental_assignment_keeps_stories_and_signs_only_new_articles(tmp_path):
    with Store(tmp_path / "articles.sqlite") as store:
        store.upsert(articles([COPIES[0], COPIES[3]]))
        table = dedup.Stories(store.db)
        first = table.assign(store.hashes(), store.get_many)
        assert (first.signed, first.joined) == (2, 0)
        store.upsert(articles([COPIES[1]]))
        second = table.assign(store.hashes(), store.get_many)
        assert (second.signed, second.joined) == (1, 1)   # only the new one was signed
        assert table.all() == {"r1": "r1", "r2": "r1", "r4": "r4"}
        assert table.assign(store.hashes(), store.get_many).signed == 0
        store.delete(["r1"])                              # the story keeps its name
        assert table.assign(store.hashes(), store.get_many).removed == 1
        assert table.all() == {"r2": "r1", "r4": "r4"}


def test_incremental_assignment_reads_stored_rows_a_page_at_a_time(tmp_path, monkeypatch):
    """Stored signatures come in pages as time reaches them; the stories are the same as
    detecting everything at once, whatever the page size."""
    monkeypatch.setattr(dedup._Window, "PAGE", 2)
    rows = [wire(f"d{day}{n}", f"DAY {day} COPY {n}", body=f"{WIRE} Day {day}.",
                 published=f"1987-06-{day:02d}T0{n}:00:00+00:00")
            for day in (1, 5, 9, 13) for n in range(3)]
    late = [wire(f"late{day}", f"LATE COPY {day}", body=f"{WIRE} Day {day}.",
                 published=f"1987-06-{day:02d}T09:00:00+00:00") for day in (5, 13)]
    with Store(tmp_path / "articles.sqlite") as store:
        store.upsert(articles(rows))
        table = dedup.Stories(store.db)
        table.assign(store.hashes(), store.get_many, published=store.published())
        store.upsert(articles(late))
        table.assign(store.hashes(), store.get_many, published=store.published())
        assert table.all() == dedup.detect(articles(rows + late))
        assert table.all()["late5"] == "d50" and table.all()["late13"] == "d130"


def test_undated_articles_are_copies_of_undated_ones_only():
    rows = [wire("u1", "UNDATED", published=None), wire("u2", "UNDATED AGAIN", published=None),
            wire("t1", "DATED")]
    assert dedup.detect(articles(rows)) == {"t1": "t1", "u1": "u1", "u2": "u1"}


def test_detecting_again_forgets_every_story_and_signs_all(tmp_path):
    with Store(tmp_path / "articles.sqlite") as store:
        store.upsert(articles(COPIES[:2] + COPIES[3:4]))
        table = dedup.Stories(store.db)
        table.assign(store.hashes(), store.get_many)
        store.delete(["r1"])
        table.assign(store.hashes(), store.get_many)
        assert table.all() == {"r2": "r1", "r4": "r4"}      # kept: named after the deleted
        again = table.assign(store.hashes(), store.get_many, again=True)
        assert (again.signed, again.joined) == (2, 0)
        assert table.all() == {"r2": "r2", "r4": "r4"}


def test_reindex_stories_detects_again_from_the_cli(data):
    runner = CliRunner()
    with Store(data.store_path) as store:
        store.db.execute("UPDATE stories SET story = id")   # as if detected by an older rule
        store.db.commit()
    result = runner.invoke(cli, ["--data-dir", str(data.root), "reindex", "--stories"])
    assert result.exit_code == 0, result.output
    with Store(data.store_path) as store:
        assert dedup.Stories(store.db).all()["r2"] == "r1"


# -- collapsed results -----------------------------------------------------------

@pytest.fixture
def data(tmp_path):
    return make_data_dir(tmp_path, COPIES)


@pytest.fixture
def svc(data):
    service = SearchService(data)
    yield service
    service.engine.close()


def search(svc, **params):
    return svc.search(SearchRequest.from_params(params))


def test_collapsed_results_show_one_entry_per_story_with_its_versions(svc):
    result = search(svc, q="oil price")
    assert (result.total, result.stories) == (4, 2)
    by_id = {h.id: h for h in result.hits}
    assert set(by_id) == {"r1", "r4"}                      # the earliest copy represents
    assert by_id["r1"].versions == 3
    assert [c["id"] for c in by_id["r1"].copies] == ["r2", "r3"]
    assert by_id["r4"].versions == 1 and by_id["r4"].copies == []
    # facets count articles, not stories
    facets = dict((v.value, v.count) for v in result.facets["country"])
    assert facets == {"SA": 4, "AT": 1}


def test_collapse_false_lists_every_copy(svc):
    result = search(svc, q="oil price", collapse="false")
    assert result.total == 4 and result.stories is None
    assert sorted(h.id for h in result.hits) == ["r1", "r2", "r3", "r4"]
    assert all(h.versions == 1 for h in result.hits)


def test_a_collapsed_page_holds_per_page_stories(svc):
    first = search(svc, q="oil price", sort="oldest", per_page=1)
    second = search(svc, q="oil price", sort="oldest", per_page=1, page=2)
    assert first.pages == 2 and [h.id for h in first.hits] == ["r1"]
    assert [h.id for h in second.hits] == ["r4"]
    assert first.to_json()["stories"] == 2 and first.to_json()["total"] == 4


def test_filters_choose_the_representative_among_matching_copies(svc):
    result = search(svc, country="AT")   # only the correction is about Austria
    assert [(h.id, h.versions) for h in result.hits] == [("r3", 1)]


def test_more_like_this_never_lists_a_copy(svc):
    assert [h.id for h in svc.more_like("r2", top=5)] == ["r4"]


def test_incremental_index_puts_a_late_copy_into_its_story(data, tmp_path, svc):
    src = tmp_path / "late.jsonl"
    src.write_text(json.dumps(wire("r5", "SAUDI OIL MINISTER REJECTS MAD PRICE RISE",
                                   published="1987-06-02T12:00:00+00:00")) + "\n")
    pipeline.import_files(data, "jsonl", [src])
    report = pipeline.index(data)
    assert (report.added, report.updated) == (1, 0)       # the other copies stay as indexed
    svc.engine.check_every = 0
    result = search(svc, q="oil price")
    assert (result.total, result.stories) == (5, 2)
    assert {h.id: h.versions for h in result.hits}["r1"] == 4
    with sqlite3.connect(data.store_path) as db:
        assert db.execute("SELECT story FROM stories WHERE id = 'r5'").fetchone() == ("r1",)


def test_api_and_cli_say_articles_and_stories(data):
    from webapp import create_app
    app = create_app({"DATA_DIR": str(data.root), "TESTING": True})
    client = app.test_client()
    on = client.get("/api/search?q=oil+price").get_json()
    assert (on["total"], on["stories"], on["collapse"]) == (4, 2, True)
    hit = next(h for h in on["hits"] if h["id"] == "r1")
    assert hit["versions"] == 3 and [c["id"] for c in hit["copies"]] == ["r2", "r3"]
    assert hit["copies"][0]["title"] == COPIES[1]["title"]
    off = client.get("/api/search?q=oil+price&collapse=false").get_json()
    assert (off["total"], off["stories"], len(off["hits"])) == (4, None, 4)
    assert client.get("/api/search?q=oil&collapse=maybe").status_code == 400
    page = client.get("/?q=oil+price").get_data(as_text=True)
    assert "4 articles in 2 stories" in page and "3 versions" in page
    assert "collapse=false" in page                    # the toggle
    every = client.get("/?q=oil+price&collapse=false").get_data(as_text=True)
    assert "3 versions" not in every and "4 articles" in every
    assert 'name="collapse" value="false"' in every    # a new query keeps the toggle
    runner = CliRunner()
    out = runner.invoke(cli, ["--data-dir", str(data.root), "search", "oil price"]).output
    assert "4 articles in 2 stories" in out and "(3 versions)" in out
    out = runner.invoke(cli, ["--data-dir", str(data.root), "search", "oil price",
                              "--no-collapse"]).output
    assert "stories" not in out and "r3" in out and "versions" not in out
    app.extensions["newsdesk"].engine.close()
