"""Reuters-21578 (reut2-000..017) end to end: the documented counts, idempotence, facets."""
import pytest
from conftest import needs_shared

from indexer import DataDir, SearchRequest, SearchService, pipeline

ARTICLES = 17_999   # 18,000 stories, one (NEWID=12793) has neither title nor body


@pytest.fixture(scope="module")
def reuters(tmp_path_factory):
    folder = needs_shared("reuters21578")
    data = DataDir(tmp_path_factory.mktemp("reuters") / "data")
    report = pipeline.import_files(data, "reuters", [folder])
    pipeline.index(data)
    return data, folder, report


def test_import_reaches_the_documented_count(reuters):
    _, _, report = reuters
    assert report.files == 18 and report.counts.added == ARTICLES
    assert [(s.where.rsplit("/", 1)[-1], s.reason) for s in report.skipped] == [
        ("reut2-012.sgm NEWID=12793", "story with neither title nor body")]


def test_importing_again_adds_nothing_and_index_does_nothing(reuters):
    data, folder, _ = reuters
    again = pipeline.import_files(data, "reuters", [folder])
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, ARTICLES)
    assert pipeline.index(data).changed == 0


def test_country_filter_returns_only_tagged_articles_and_counts_match(reuters):
    data, _, _ = reuters
    service = SearchService(data)
    result = service.search(SearchRequest.from_params({"q": "yen", "country": "JP", "per_page": 100}))
    assert result.total > 50
    assert all("JP" in hit.countries for hit in result.hits)
    # a facet's count is the number of matching articles with that value, given the other
    # active filters: the country facet ignores its own filter, the source facet does not
    for value in result.facets["country"][:5]:
        narrowed = service.search(SearchRequest.from_params({"q": "yen", "country": value.value}))
        assert narrowed.total == value.count, value
    (reuters_count,) = result.facets["source"]
    assert (reuters_count.value, reuters_count.count) == ("Reuters", result.total)


def test_reindex_rebuilds_the_same_index(reuters):
    data, _, _ = reuters
    before = SearchService(data).stats()
    report = pipeline.reindex(data)
    after = SearchService(data).stats()
    assert report.rebuilt and report.added == ARTICLES
    assert after["index"]["generation"] != before["index"]["generation"]
    assert after["indexed"] == before["indexed"] == ARTICLES
    assert after["facets"] == before["facets"]
