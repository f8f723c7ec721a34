import gzip
import json

from conftest import needs_shared

from indexer import DataDir, Store, pipeline
from indexer.importers import reuters

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
