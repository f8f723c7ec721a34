"""The search service as the CLI and the web app use it."""
import pytest

from indexer import BadRequest, SearchRequest
from indexer.search import MISSING_CHECKED


def search(service, **params):
    return service.search(SearchRequest.from_params(params))


def test_words_are_anded_and_ranked_with_snippets(service):
    result = search(service, q="ground invasion")
    # a1 holds both words and comes first; a5 ("ground operation") follows as a partial match
    assert [h.id for h in result.hits] == ["a1", "a5"]
    assert result.all_words == 1 and result.total == 2 and result.relaxed
    assert result.to_json()["all_words"] == 1
    assert "<mark>ground</mark> <mark>invasion</mark>" in result.hits[0].snippet
    assert result.to_json()["hits"][0]["countries"] == ["US", "IL", "LB"]


def test_title_matches_rank_above_body_matches(service):
    result = search(service, q="interest rates")
    assert [h.id for h in result.hits] == ["a2", "a4"]  # a2 has the words in its title


def test_phrase_exclude_or_and_title_field(service):
    assert [h.id for h in search(service, q='"interest rates"', sort="oldest").hits] == ["a2", "a4"]
    assert [h.id for h in search(service, q="interest -japan").hits] == ["a4"]
    assert {h.id for h in search(service, q="kishida OR blinken").hits} == {"a2", "a3"}
    assert [h.id for h in search(service, q="title:lebanon", sort="newest").hits] == ["a5", "a1"]


def test_country_filter_and_facet_counts_given_the_other_filters(service):
    result = search(service, country="JP")
    assert {h.id for h in result.hits} == {"a2", "a3"}
    counts = {v.value: v.count for v in result.facets["country"]}
    # the country facet ignores its own filter (OR within a facet)...
    assert counts == {"US": 2, "IL": 2, "LB": 2, "JP": 2, "DE": 1}
    # ...but the other facets count only the matching articles
    assert {v.value: v.count for v in result.facets["source"]} == {
        "Harbor Gazette": 1, "Example News": 1}


def test_several_values_in_one_facet_are_ored_and_facets_are_anded(service):
    assert {h.id for h in search(service, country=["JP", "DE"]).hits} == {"a2", "a3", "a4"}
    assert [h.id for h in search(service, country=["JP", "DE"], source="Continental Wire").hits] == ["a4"]


def test_facet_labels_are_names_not_codes(service):
    result = search(service, q="ground invasion")
    assert {v.label for v in result.facets["country"]} == {"Israel", "Lebanon", "United States"}
    assert result.to_json()["facets"]["official"][0] == {
        "value": "Lloyd Austin", "label": "Lloyd Austin — Defense Secretary, US", "count": 1}


def test_date_range_and_sorting(service):
    result = search(service, **{"from": "2024-09-01", "to": "2024-09-24", "sort": "newest"})
    assert [h.id for h in result.hits] == ["a1"]
    assert [h.id for h in search(service, sort="oldest").hits] == ["a2", "a4", "a3", "a1", "a5"]


def test_paging(service):
    pages = [search(service, sort="oldest", per_page=2, page=p) for p in (1, 2, 3, 4)]
    assert [[h.id for h in r.hits] for r in pages] == [["a2", "a4"], ["a3", "a1"], ["a5"], []]
    assert pages[0].total == 5 and pages[0].pages == 3


def test_no_result_gets_a_did_you_mean(service):
    result = search(service, q="lebanom")
    assert result.total == 0 and result.suggestion == "lebanon"


def test_long_natural_language_queries_still_answer(service):
    result = search(service, q="what did the japanese prime minister say about the weak yen")
    assert result.relaxed and result.hits[0].id == "a2"


@pytest.mark.parametrize("text", ['"unclosed phrase', "title:", "((interest", "interest AND", "a:b:c rates"])
def test_malformed_syntax_is_searched_as_text(service, text):
    search(service, q=text)  # never raises


@pytest.mark.parametrize("text", ["?!...", "AND OR"])
def test_a_query_without_words_is_a_clear_error(service, text):
    with pytest.raises(BadRequest, match="has no words to search for"):
        search(service, q=text)


@pytest.mark.parametrize("params,message", [
    ({"page": "-1"}, "page must be between 1 and 1000"),
    ({"per_page": str(10**9)}, "per_page must be between 1 and 100"),
    ({"page": "two"}, "page must be a whole number"),
    ({"sort": "random"}, "sort must be one of relevance, newest, oldest"),
    ({"from": "24/09/2024"}, "from must be a date like 2024-09-24"),
    ({"to": "2024-09-24xyz"}, "to must be a date like 2024-09-24"),
    ({"from": "2024-02-01", "to": "2024-01-01"}, "is after to"),
])
def test_bad_parameters_get_clear_messages(params, message):
    with pytest.raises(BadRequest, match=message):
        SearchRequest.from_params(params)


def test_caps_on_what_one_request_carries():
    import pycountry  # real codes: a value naming no country is refused on its own
    from werkzeug.datastructures import MultiDict

    from indexer.search import MAX_FACET_VALUES, MAX_PARAMS, MAX_QUERY_CHARS, MAX_VALUE_CHARS
    at_cap = {"q": "x" * MAX_QUERY_CHARS, "source": ["s" * MAX_VALUE_CHARS],
              "official": [f"V{i:03}" for i in range(MAX_FACET_VALUES)],
              "country": sorted(c.alpha_2 for c in pycountry.countries)[:MAX_FACET_VALUES]}
    req = SearchRequest.from_params(at_cap)  # the caps themselves are allowed
    assert len(req.country) == len(req.official) == MAX_FACET_VALUES
    # repeats count: the cap is on what is sent, before duplicates collapse
    with pytest.raises(BadRequest, match=f"too many country values: at most "
                                         f"{MAX_FACET_VALUES}, got {MAX_FACET_VALUES + 1}"):
        SearchRequest.from_params({"country": ["JP"] * (MAX_FACET_VALUES + 1)})
    with pytest.raises(BadRequest, match=f"each official value may have at most {MAX_VALUE_CHARS}"):
        SearchRequest.from_params({"official": ["o" * (MAX_VALUE_CHARS + 1)]})
    with pytest.raises(BadRequest, match=f"at most {MAX_QUERY_CHARS} characters"):
        SearchRequest.from_params({"q": ["x" * (MAX_QUERY_CHARS // 2 + 1)] * 2})  # q values are joined
    from indexer.search import MAX_FILTER_CHARS
    with pytest.raises(BadRequest, match=f"the filters are too long: at most {MAX_FILTER_CHARS}"):
        SearchRequest.from_params({"source": ["s" * MAX_VALUE_CHARS] * (MAX_FILTER_CHARS // 200 + 1)})
    # unknown and empty parameters count too
    junk = MultiDict([(f"junk{i}", "") for i in range(MAX_PARAMS)] + [("q", "x")])
    with pytest.raises(BadRequest, match=f"too many parameters: at most {MAX_PARAMS}, "
                                         f"got {MAX_PARAMS + 1}"):
        SearchRequest.from_params(junk)


def test_request_round_trips_through_its_params():
    req = SearchRequest.from_params({"q": "x", "country": ["jp", "US"], "sort": "newest", "page": "2"})
    assert req.country == ("JP", "US")
    assert SearchRequest.from_params(_multi(req.to_params())) == req
    assert req.toggled("country", "JP").country == ("US",)
    assert req.toggled("official", "Fumio Kishida").page == 1


def _multi(pairs):
    out = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def test_timeline_counts_matches_per_day_given_the_other_filters(service):
    result = search(service, q="lebanon", **{"from": "2024-09-25"})
    assert result.total == 1  # the date filter narrows the hits...
    # ...but the timeline, like a facet, shows every date the other filters allow
    assert result.timeline.unit == "day"
    assert [(p.key, p.count) for p in result.timeline.periods] == [("2024-09-24", 1),
                                                                    ("2024-09-25", 1)]
    assert result.to_json()["timeline"][0] == {"period": "2024-09-24", "count": 1}
    assert result.to_json()["timeline_unit"] == "day"


def test_timeline_picks_weeks_for_half_a_year(service):
    timeline = search(service).timeline  # 19 Mar to 25 Sep 2024
    assert timeline.unit == "week"
    keys = [p.key for p in timeline.periods]
    assert keys[0] == "2024-W12" and keys[-1] == "2024-W39" and len(keys) == 28  # gaps kept
    assert sum(p.count for p in timeline.periods) == 5
    assert dict((p.key, p.count) for p in timeline.periods)["2024-W18"] == 2  # 30 Apr, 2 May


def test_share_timeline_divides_by_all_articles_of_each_period(service):
    result = search(service, q="lebanon", timeline="share")
    by_day = {p.key: (p.count, p.all) for p in result.timeline.periods}
    assert by_day == {"2024-09-24": (1, 1), "2024-09-25": (1, 1)}
    japan = search(service, q="japan", timeline="share").to_json()["timeline"]
    # every week of the span counts all the archive's articles in it, matched or not
    assert sum(p["all"] for p in japan) == 3 and sum(p["count"] for p in japan) == 2
    assert all(p["share"] is None or 0 <= p["share"] <= 1 for p in japan)
    with pytest.raises(BadRequest, match="timeline must be one of count, share"):
        SearchRequest.from_params({"timeline": "log"})


def test_more_like_this(service):
    similar = [h.id for h in service.more_like("a1")]
    assert similar and similar[0] == "a5" and "a1" not in similar


def test_all_facet_values_on_request(service):
    result = service.search(SearchRequest(), facet_limit=1)
    assert len(result.facets["country"]) == 1
    assert len(service.search(SearchRequest(), facet_limit=None).facets["country"]) == 5


@pytest.mark.parametrize("given,first,last", [
    ({"from": "2024-09", "to": "2024-09"}, "2024-09-01", "2024-09-30"),
    ({"from": "2024", "to": "2024"}, "2024-01-01", "2024-12-31"),
    ({"from": "2024-12", "to": "2024-12"}, "2024-12-01", "2024-12-31"),
    ({"to": "2024-02"}, None, "2024-02-29"),
])
def test_a_month_or_year_covers_all_of_it(given, first, last):
    req = SearchRequest.from_params(given)
    assert (str(req.date_from) if req.date_from else None, str(req.date_to)) == (first, last)


OIL = [{"id": f"o{i}", "source": "Wire", "published": f"2024-05-0{i + 1}",
        "title": f"{country} raises petroleum exports",
        "body": f"{country} shipped more petroleum abroad; exports rose in May."}
       for i, country in enumerate(["Norway", "Nigeria", "Kuwait", "Mexico"])] + [
    {"id": "c1", "source": "Wire", "published": "2024-05-09", "title": "Coffee exports slow",
     "body": "Brazil sold less coffee abroad."}]


@pytest.fixture
def oil(tmp_path):
    from indexer import SearchService
    from conftest import make_data_dir
    svc = SearchService(make_data_dir(tmp_path, OIL))
    yield svc
    svc.engine.close()


def test_a_misspelt_query_is_answered_with_its_correction(oil):
    result = search(oil, q="petrolium exports")
    assert result.corrected_from == "petrolium exports"
    assert result.request.q == "petroleum exports" and result.suggestion is None
    assert result.all_words == 4 and {h.id for h in result.hits} >= {"o0", "o1", "o2", "o3"}
    data = result.to_json()
    assert data["query"] == "petroleum exports" and data["corrected_from"] == "petrolium exports"


def test_as_typed_searches_the_words_as_typed(oil):
    result = search(oil, q="petrolium exports", as_typed="1")
    assert result.corrected_from is None and result.suggestion == "petroleum exports"
    assert result.all_words == 0 and result.missing_words == ["petrolium"]


def test_not_found_words_are_checked_for_the_first_sixteen_distinct_words(oil):
    """A pasted paragraph must not cost a search per word: only the first
    MISSING_CHECKED distinct words are looked up one by one."""
    nonsense = [f"zq{chr(97 + n)}{chr(97 + n)}x" for n in range(20)]
    result = search(oil, q=" ".join(["petroleum", *nonsense]), as_typed="1")
    assert result.total > 0
    assert result.missing_words == nonsense[:MISSING_CHECKED - 1]


def test_a_correction_that_finds_little_more_is_only_suggested(service):
    result = search(service, q="lebanom")  # "lebanon" finds 2: not enough to answer with it
    assert result.corrected_from is None and result.suggestion == "lebanon"
