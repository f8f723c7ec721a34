"""Ranking: what a keyword user expects, on a small hand-built corpus through the real
pipeline (store, on-disk index, SearchService), so each rule can fail on its own.

The model (indexer/engine/querying.py, ``Ranking``) is chosen on judged collections by
benchmarks/eval_ranking.py; these tests hold the behaviour that must survive any
re-tuning: every-word articles first for short queries with their count, title over
body, coordination over repetition, and exclusions in every path.
"""
from __future__ import annotations

import pytest

from indexer import SearchRequest, SearchService
from indexer.search import MAX_QUERY_CHARS

from conftest import make_data_dir

FILLER = ("The committee met on Tuesday and published its minutes; delegates said the "
          "discussion covered budgets, staffing and the schedule for next year.")


def _article(n: str, title: str, body: str) -> dict:
    return {"id": n, "source": "Test Wire", "title": title, "body": f"{body} {FILLER}",
            "published": f"2024-01-{len(n) + int(n[1:]):02d}", "countries": [], "officials": []}


ARTICLES = [
    # every query word once
    _article("r1", "Market report", "Oil prices rose in Kuwait."),
    # one query word, many times
    _article("r2", "Oil oil oil", "Oil oil oil oil oil oil oil oil oil oil oil oil."),
    # the same words: in the title here, in the body there
    _article("r3", "Wheat harvest", "Farmers reported the season."),
    _article("r4", "Farm season", "Farmers reported the wheat harvest."),
    # exclusions: japan must keep r5 and r6 out of every answer
    _article("r5", "Oil prices in Japan", "Japan imports oil from Kuwait and Saudi Arabia."),
    _article("r6", "Saudi output", "Japan buys Saudi crude; Kuwait and Venezuela pump more oil."),
    _article("r7", "Kuwait oil prices", "Kuwait and Saudi Arabia set oil prices for Venezuela."),
    _article("r8", "Saudi budget", "Saudi Arabia plans its budget around oil."),
    # partial matches for "copper mine strike"
    _article("r9", "Copper mine strike", "Workers at the copper mine went on strike."),
    _article("r10", "Copper mine closes", "The copper mine closed after ten years."),
    _article("r11", "Dock strike", "A strike closed the docks."),
    _article("r12", "Copper price", "Copper fell."),
]


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    data = make_data_dir(tmp_path_factory.mktemp("ranking"), ARTICLES)
    service = SearchService(data)
    yield service
    service.engine.close()


def ids(service, q: str, **params) -> list[str]:
    return [h.id for h in search(service, q, **params).hits]


def search(service, q: str, **params):
    return service.search(SearchRequest.from_params({"q": q, "per_page": 100, **params}))


def test_an_article_with_every_word_outranks_one_word_many_times(ranked):
    assert ids(ranked, "kuwait oil prices").index("r1") < ids(ranked, "kuwait oil prices").index("r2")
    # also for a long question (ranked over all its words, no all-words tier)
    long = "what happened to the oil prices in kuwait this week"
    assert ids(ranked, long).index("r1") < ids(ranked, long).index("r2")


def test_a_title_match_outranks_the_same_match_in_the_body(ranked):
    assert ids(ranked, "wheat harvest")[:2] == ["r3", "r4"]
    assert ids(ranked, "wheat")[:2] == ["r3", "r4"]


@pytest.mark.parametrize("q", [
    "oil -japan",                                      # one word: strict
    "oil prices -japan",                               # short: every word, then partial
    "oil prices -japan kuwait saudi venezuela",        # long: ranked over all words
    "-japan saudi venezuela",                          # partial matches only for some
    '"oil prices" -japan kuwait',                      # a phrase and words
])
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_exclusions_hold_in_every_path(ranked, q, sort):
    result = search(ranked, q, sort=sort)
    assert result.hits
    found = {h.id for h in result.hits}
    assert not found & {"r5", "r6"}, (q, sort, found)
    assert all("japan" not in (h.title + " " + h.snippet).lower() for h in result.hits)


def test_short_query_lists_all_words_articles_first_then_partial_matches(ranked):
    result = search(ranked, "copper mine strike")
    got = [h.id for h in result.hits]
    assert got[0] == "r9"                       # the only article with all three words
    assert set(got) == {"r9", "r10", "r11", "r12"}   # the partial matches follow, not dropped
    assert result.all_words == 1 and result.total == 4
    assert result.relaxed and result.all_words_first
    assert result.to_json()["all_words"] == 1 and result.to_json()["relaxed"] is True
    # r10 holds two of the words and ranks above those holding one
    assert got.index("r10") < got.index("r11") and got.index("r10") < got.index("r12")


def test_the_all_words_tier_holds_for_date_sorts_too(ranked):
    for sort in ("newest", "oldest"):
        assert ids(ranked, "copper mine", sort=sort)[:2] in (["r9", "r10"], ["r10", "r9"])
        result = search(ranked, "copper mine", sort=sort)
        assert result.all_words == 2 and {h.id for h in result.hits[:2]} == {"r9", "r10"}


def test_counts_with_filters_and_one_word(ranked):
    one = search(ranked, "copper")
    assert one.all_words == one.total == 3 and not one.relaxed
    assert search(ranked, "").all_words is None          # browsing: no words
    none = search(ranked, "copper zebra")                # no article has both
    assert none.all_words == 0 and none.relaxed and none.total == 3


def test_the_page_says_how_many_hold_every_word(ranked):
    from webapp import create_app
    app = create_app({"TESTING": True, "DATA_DIR": str(ranked.data.root)})
    text = app.test_client().get("/?q=copper+mine+strike").get_data(as_text=True)
    assert "1 article contains all words; 3 more partial matches follow." in text


def test_a_long_pasted_question_is_answered_and_bounded(ranked):
    words = " ".join(f"w{n}x" for n in range(600))       # distinct words beyond the cap
    q = (f"oil prices kuwait {words}")[:MAX_QUERY_CHARS]
    assert len(q) > 1000
    result = search(ranked, q)
    assert result.hits and result.hits[0].id in {"r1", "r7"}
