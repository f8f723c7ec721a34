import gzip
import json

import pytest
from conftest import needs_shared

from indexer import DataDir, Store, pipeline
from indexer.importers import Skipped, reuters

SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" NEWID="7">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS><PLACES><D>brazil</D></PLACES><PEOPLE><D>reagan</D></PEOPLE>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week
in the Bahia cocoa zone &lt;said&gt; Comissaria Smith.
    Arrivals were 155,221 bags.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS NEWID="8"><DATE>31-MAR-1987 605:12:19.12</DATE>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>SHORT ONLY TITLE</TITLE>
&#3;</TEXT></REUTERS>
<REUTERS NEWID="9"><DATE>1-MAR-1987 00:00:00.00</DATE><TEXT>&#3;</TEXT></REUTERS>
"""


def import_(tmp_path, fmt, files, **options):
    data = DataDir(tmp_path / "data")
    return data, pipeline.import_files(data, fmt, files, **options)


def test_reuters_story_fields(tmp_path):
    path = tmp_path / "reut2-x.sgm"
    path.write_bytes(SGML.encode("latin-1"))
    article, brief, skipped = list(reuters.read(path))
    assert article.id == "reuters-7" and article.title == "BAHIA COCOA REVIEW"
    assert article.body == ("SALVADOR, Feb 26 - Showers continued throughout the week in the "
                            "Bahia cocoa zone <said> Comissaria Smith.\n\nArrivals were 155,221 bags.")
    assert article.published.isoformat() == "1987-02-26T15:01:01+00:00"
    assert article.source_tags == {"places": ["brazil"], "people": ["reagan"], "topics": ["cocoa"]}
    assert brief.title == "SHORT ONLY TITLE" and brief.published.isoformat().startswith("1987-03-31")
    assert skipped.reason == "story with neither title nor body"


def test_text_import_of_the_seed_article(tmp_path):
    seed = needs_shared("seed", "000_a24fab76c0b5a9cb.txt")
    data, report = import_(tmp_path, "text", [seed], source="Example News", published="2024-09-24")
    assert report.counts.added == 1 and not report.skipped
    with Store(data.store_path) as store:
        (article,) = list(store)
    assert article.title.startswith("Israeli tanks being transported")
    assert article.source == "Example News" and article.published.date().isoformat() == "2024-09-24"
    assert set(article.countries) == {"US", "IL", "LB"}


def test_jsonl_bad_lines_are_reported_by_number_and_the_rest_imported(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "ok1", "title": "Fine"}\n{not json\n\n[1, 2]\n{"id": "ok2", "body": "x"}\n')
    data, report = import_(tmp_path, "jsonl", [src])
    assert report.counts.added == 2
    assert [s.where for s in report.skipped] == [f"{src}:2", f"{src}:4"]
    assert all(s.reason.startswith("malformed line") for s in report.skipped)


def test_an_unreadable_file_is_named_and_skipped_while_others_import(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A title\n\nA body about Japan.")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 not utf-8 \x80")
    missing = tmp_path / "missing.txt"
    data, report = import_(tmp_path, "text", [good, bad, missing], source="S")
    assert report.counts.added == 1
    assert [s.where for s in report.skipped] == [str(bad), str(missing)]
    assert "utf-8" in report.skipped[0].reason and "No such file" in report.skipped[1].reason


def test_reimport_after_a_failure_loses_nothing(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"id": "keep", "title": "Kept"}) + "\n")
    data, _ = import_(tmp_path, "jsonl", [src])
    src.write_text("garbage\n")
    _, report = import_(tmp_path, "jsonl", [src])
    assert report.counts.added == 0 and len(report.skipped) == 1
    with Store(data.store_path) as store:
        assert store.get("keep").title == "Kept"


def test_html_page_uses_structured_data(tmp_path):
    page = """<html lang="en-GB"><head><title>Site | Story</title>
    <link rel="canonical" href="https://news.example.org/2024/story?utm_source=feed">
    <meta property="og:site_name" content="Example News">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Kishida visits Berlin",
      "datePublished": "2024-05-02T09:30:00+09:00", "author": [{"@type": "Person", "name": "Ann Lee"}]}
    </script></head><body><nav><p>Home | World</p></nav>
    <article><h1>Kishida visits Berlin</h1><p>Japanese Prime Minister Fumio Kishida met German
    Chancellor Olaf Scholz in Berlin on Thursday.</p><p>They discussed trade.</p></article>
    <footer><p>Copyright</p></footer></body></html>"""
    path = tmp_path / "story.html.gz"
    path.write_bytes(gzip.compress(page.encode()))
    data, report = import_(tmp_path, "html", [tmp_path])
    assert report.counts.added == 1, report.skipped
    with Store(data.store_path) as store:
        (article,) = list(store)
    assert article.title == "Kishida visits Berlin"
    assert article.url == "https://news.example.org/2024/story"
    assert article.published.isoformat() == "2024-05-02T00:30:00+00:00"
    assert article.authors == ("Ann Lee",) and article.source == "Example News"
    assert article.language == "en"
    assert article.body.startswith("Japanese Prime Minister Fumio Kishida met German")
    assert "Copyright" not in article.body and "Home" not in article.body


# -- one bad record never loses the rest (the import hardening issue) -------------------

def lines(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def stored_ids(data) -> list[str]:
    with Store(data.store_path) as store:
        return [a.id for a in store]


def test_json_nested_200000_deep_is_one_skipped_line_and_later_files_import(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(lines({"id": "a1", "title": "Before"}, "[" * 200_000,
                                          {"id": "a2", "title": "After"}))
    (folder / "b.jsonl").write_text(lines({"id": "b1", "title": "Next file"}))
    data, report = import_(tmp_path, "jsonl", [folder])  # two files: worker processes
    assert stored_ids(data) == ["a1", "a2", "b1"]
    assert report.skipped == [Skipped(f"{folder / 'a.jsonl'}:2",
                                      "malformed line: JSON nested too deeply")]


def test_a_lone_surrogate_is_a_skipped_line_naming_the_field_not_a_lost_batch(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(lines({"id": "ok1", "title": "Fine"}, '{"id": "s1", "title": "a \\ud800"}',
                         '{"id": "s2", "title": "t", "officials": [{"name": "\\udfff"}]}',
                         {"id": "ok2", "title": "Also fine"}))
    data, report = import_(tmp_path, "jsonl", [src])
    assert stored_ids(data) == ["ok1", "ok2"]
    assert [s.where for s in report.skipped] == [f"{src}:2", f"{src}:3"]
    assert report.skipped[0].reason.startswith("malformed line: title: '\\ud800' is a lone surrogate")
    assert report.skipped[1].reason.startswith("malformed line: officials: '\\udfff'")


def test_one_invalid_utf8_byte_skips_its_line_only(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "g1", "title": "Good"}\n{"id": "b", "title": "\xff"}\n'
                    b'{"id": "g2", "title": "Good too"}\n')
    data, report = import_(tmp_path, "jsonl", [src])
    assert stored_ids(data) == ["g1", "g2"]
    assert report.skipped == [Skipped(f"{src}:2", "malformed line: not UTF-8: byte 0xff at column 23")]


@pytest.mark.parametrize("field,value,reason", [
    ("countries", "USA", "countries: expected an array, got a string 'USA'"),
    ("countries", ["USA"], "countries: expected ISO 3166-1 alpha-2 codes"),
    ("officials", "Putin", "officials: expected an array, got a string 'Putin'"),
    ("officials", [{"name": 7}], "officials: name: expected a string, got a number 7"),
    ("title", 5, "title: expected a string, got a number 5"),
    ("id", ["x"], "id: expected a string, got an array"),
    ("authors", [1, 2], "authors: expected an array of strings, got a number 1"),
    ("source_tags", {"places": "usa"}, "source_tags: places: expected an array, got a string"),
    ("published", 2024, "published: expected a string, got a number 2024"),
    ("published", "0001-01-01T00:00:00+01:00", "not a date: '0001-01-01T00:00:00+01:00'"),
    ("country_mentions", {"US": "3"}, "country_mentions: expected country codes mapped to counts"),
    ("country_mentions", {"US": 10**30}, "country_mentions: expected country codes mapped to counts"),
])
def test_a_field_of_the_wrong_type_is_a_skip_naming_the_field(tmp_path, field, value, reason):
    src = tmp_path / "in.jsonl"
    src.write_text(lines({"id": "bad", "title": "T", "body": "B", field: value},
                         {"id": "good", "title": "T", "countries": ["us"], "officials": ["Putin"]}))
    data, report = import_(tmp_path, "jsonl", [src])
    assert stored_ids(data) == ["good"]
    (skip,) = report.skipped
    assert skip.where == f"{src}:1" and skip.reason.startswith(f"malformed line: {reason}"), skip
    with Store(data.store_path) as store:
        good = store.get("good")
    assert good.countries == ("US",) and [o.name for o in good.officials] == ["Putin"]


REUTERS_GOOD = '<REUTERS NEWID="1"><TEXT><TITLE>FIRST</TITLE><BODY>One.</BODY></TEXT></REUTERS>\n'


def test_a_reuters_story_without_newid_is_reported_by_its_place(tmp_path):
    path = tmp_path / "reut2-x.sgm"
    path.write_text(REUTERS_GOOD + '<REUTERS TOPICS="NO"><TEXT><TITLE>NO ID</TITLE></TEXT></REUTERS>\n'
                    + REUTERS_GOOD.replace('"1"', '"3"'), encoding="latin-1")
    data, report = import_(tmp_path, "reuters", [path])
    assert stored_ids(data) == ["reuters-1", "reuters-3"]
    assert report.skipped == [Skipped(f"{path} story 2",
                                      'story has no NEWID="..." (no id to store it under)')]


def test_a_truncated_sgm_reports_the_cut_story(tmp_path):
    path = tmp_path / "reut2-x.sgm"
    path.write_text(REUTERS_GOOD + '<REUTERS NEWID="2"><TEXT><TITLE>CUT</TITLE><BODY>The wire',
                    encoding="latin-1")
    data, report = import_(tmp_path, "reuters", [path])
    assert stored_ids(data) == ["reuters-1"]
    assert report.skipped == [Skipped(f"{path} NEWID=2", "story is cut off: no closing "
                                      "</REUTERS> (truncated file?)")]


def gzip_bomb(path, size: int, line: bytes = b"") -> None:
    """A gzip file of ``line`` then ``size`` zero bytes, written in chunks (the test stays small)."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(line)
        for _ in range(size // 1_000_000):
            f.write(bytes(1_000_000))


def test_a_gzip_bomb_page_is_skipped_without_decompressing_it(tmp_path):
    import tracemalloc
    bomb = tmp_path / "bomb.html.gz"
    gzip_bomb(bomb, 200_000_000, b"<html><body><p>")
    assert bomb.stat().st_size < 250_000
    tracemalloc.start()
    try:
        data, report = import_(tmp_path, "html", [bomb], procs=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.skipped == [Skipped(str(bomb), "larger than 5,000,000 bytes once decompressed")]
    assert peak < 40_000_000  # the whole page would be 200 MB


def test_jsonl_gz_is_streamed_and_an_endless_line_is_one_skip(tmp_path):
    src = tmp_path / "in.jsonl.gz"
    gzip_bomb(src, 30_000_000, lines({"id": "first", "title": "Kept"}).encode() + b'{"title": "')
    data, report = import_(tmp_path, "jsonl", [src])
    assert stored_ids(data) == ["first"]
    assert report.skipped == [Skipped(f"{src}:2", "malformed line: longer than 5,000,000 bytes")]


def test_a_cut_off_jsonl_gz_keeps_the_lines_before_the_cut(tmp_path):
    whole = gzip.compress(lines(*({"id": f"n{i}", "title": f"Story {i}", "body": "x " * 5000}
                                  for i in range(20))).encode())
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(whole[:len(whole) // 2])
    data, report = import_(tmp_path, "jsonl", [src])
    assert 0 < len(stored_ids(data)) < 20
    (skip,) = report.skipped
    assert skip.where == str(src) and skip.reason.startswith("broken gzip stream after line")


def test_the_import_limit_is_the_crawlers(tmp_path):
    from indexer.crawl.config import CrawlConfig
    from indexer.importers.limits import MAX_BYTES
    assert MAX_BYTES == CrawlConfig().max_bytes
    page = tmp_path / "big.html"
    page.write_bytes(b"<html><body><p>" + b"word " * (MAX_BYTES // 5))
    _, report = import_(tmp_path, "html", [page])
    assert report.skipped == [Skipped(str(page), "larger than 5,000,000 bytes")]
