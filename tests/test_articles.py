from datetime import datetime, timezone

import pytest

from indexer import Article, BadInput, Official
from indexer.articles import article_id, canonical_url, parse_date


def test_id_comes_from_the_canonical_url():
    a = article_id(url="HTTPS://News.Example.org/story?utm_source=x&id=3#top")
    b = article_id(url="https://news.example.org/story?id=3")
    assert a == b and a.startswith("u-")


def test_id_without_url_uses_source_and_its_own_id():
    assert article_id(source="Example News", source_id="000_a24f") == "example-news-000-a24f"


def test_canonical_url_drops_tracking_and_fragment():
    assert canonical_url("https://A.example/x?fbclid=1&b=2#c") == "https://a.example/x?b=2"


@pytest.mark.parametrize("text,expected", [
    ("2024-09-24", datetime(2024, 9, 24, tzinfo=timezone.utc)),
    ("2024-09-24T10:00:00+02:00", datetime(2024, 9, 24, 8, tzinfo=timezone.utc)),
    ("2024-09-24T08:00:00Z", datetime(2024, 9, 24, 8, tzinfo=timezone.utc)),
    ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=timezone.utc)),
])
def test_dates_are_read_as_utc(text, expected):
    assert parse_date(text) == expected


def test_a_bad_date_is_a_clear_error():
    with pytest.raises(BadInput, match="not a date: 'yesterday'"):
        parse_date("yesterday")


def test_json_round_trip_keeps_every_field():
    article = Article(
        id="x1", title="T", body="B", url="https://e.org/x", source="S",
        published=parse_date("2024-01-02"), authors=("Ann",), countries=("US", "IL"),
        officials=(Official("Lloyd Austin", "Defense Secretary", "US"),),
        source_tags={"places": ["usa"]}, country_mentions={"US": 3, "IL": 1})
    assert Article.from_json(article.to_json()) == article
    assert article.to_json()["officials"] == [
        {"name": "Lloyd Austin", "role": "Defense Secretary", "country": "US"}]


def test_missing_fields_are_empty_and_the_id_is_derived():
    article = Article.from_json({"title": "Only a title", "source": "S"})
    assert article.body == "" and article.published is None and article.authors == ()
    assert article.id.startswith("s-")


def test_content_hash_changes_with_entities():
    a = Article(id="x", title="T")
    assert a.content_hash == Article(id="x", title="T").content_hash
    assert a.content_hash != a.with_entities(["US"], []).content_hash


def test_check_names_a_field_the_store_cannot_encode():
    article = Article(id="x", title="T", body="half an emoji \ud83d", authors=("ok",))
    with pytest.raises(BadInput, match=r"^body: '\\ud83d' is a lone surrogate"):
        article.check()
    fine = Article(id="x", title="T", body="a whole emoji \U0001f600")
    assert fine.check() is fine


def test_from_json_refuses_strings_where_the_contract_has_arrays():
    with pytest.raises(BadInput, match=r"^countries: expected an array, got a string 'USA'"):
        Article.from_json({"title": "T", "countries": "USA"})
    with pytest.raises(BadInput, match=r"^officials: expected an array, got a string 'Putin'"):
        Article.from_json({"title": "T", "officials": "Putin"})
    article = Article.from_json({"title": "T", "countries": ["us"], "officials": ["Putin"],
                                 "authors": "Ann Lee", "url": None})
    assert article.countries == ("US",) and article.officials == (Official("Putin"),)
    assert article.authors == ("Ann Lee",) and article.url == ""


def test_a_date_out_of_range_in_utc_is_a_clear_error():
    with pytest.raises(BadInput, match=r"not a date: '0001-01-01T00:00:00\+01:00' \(out of range"):
        parse_date("0001-01-01T00:00:00+01:00")
