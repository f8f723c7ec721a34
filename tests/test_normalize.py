"""The HTML normalizer on small saved pages (tests/sites/news and inline pages)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import cli
from indexer.normalize import clean_lines, clean_title, decode_html, normalize

NEWS = Path(__file__).parent / "sites" / "news" / "news" / "2024"
SITE = Path(__file__).parent / "sites" / "news"

LONG = " ".join(["The council met on Monday to discuss the new budget for schools and roads."] * 3)


def page(path: Path):
    return normalize(path.read_bytes(), url=f"https://news.example.org/{path.name}")


def test_json_ld_article_fields():
    p = page(NEWS / "ceasefire-talks.html")
    assert p.title == "US opposes Israeli ground invasion of Lebanon"
    assert p.published.isoformat() == "2024-09-24T10:15:00-04:00"       # its own offset kept
    assert p.authors == ["Dana Whitfield", "Omar Haddad"]
    assert (p.language, p.site_name, p.page_type) == ("en", "Harbor Gazette", "NewsArticle")
    assert p.description == "Washington urged restraint as fighting grew on the border."
    assert p.url == "http://host/news/2024/ceasefire-talks.html"        # the canonical link
    assert p.is_article


def test_main_text_without_clutter():
    body = page(NEWS / "ceasefire-talks.html").body
    assert body.startswith("WASHINGTON — The United States told Israel on Tuesday")
    assert body.endswith("fuel and medicine were running short in the south.")
    assert len(body.split("\n\n")) == 4                                 # four paragraphs
    for clutter in ("Home", "By Dana", "Read more", "Bank of Japan", "Smoke rises", "comments",
                    "Great article", "All rights reserved"):
        assert clutter not in body


def test_opengraph_and_meta_only():
    p = page(NEWS / "rates-hold.html")
    assert p.title == "Bank of Japan holds interest rates"
    assert p.published.isoformat() == "2024-03-19T12:00:00+09:00"
    assert p.authors == ["Kenji Mori"] and p.page_type == "article"
    assert "Sign up" not in p.body and p.body.startswith("TOKYO — The Bank of Japan")
    assert p.url == "https://news.example.org/rates-hold.html"          # no canonical: the fetch URL


def test_microdata_only():
    p = page(NEWS / "chip-rules.html")
    assert p.title == "Japan and US agree on chip export rules"
    assert p.published.isoformat() == "2024-05-02T08:00:00+00:00"
    assert p.is_article and p.page_type == "NewsArticle"
    assert p.body.startswith("Japanese and American negotiators agreed")


def test_windows_1252_declared_in_meta():
    p = page(NEWS / "euro-inflation.html")
    assert "“We are on the right path,” a café owner" in p.body and "€3.20" in p.body
    assert p.published.isoformat() == "2024-04-30T09:00:00+02:00"


def test_http_charset_wins_and_latin1_reads_as_windows_1252():
    data = "<html><head><meta charset='utf-8'></head><body>café “quoted”</body></html>".encode("cp1252")
    assert "café “quoted”" in decode_html(data, "text/html; charset=ISO-8859-1")
    assert "café" in decode_html("<p>café</p>".encode())          # undeclared: UTF-8
    assert "café" in decode_html("<p>café</p>".encode("cp1252"))         # not UTF-8: cp1252


@pytest.mark.parametrize("path, reason", [
    (SITE / "index.html", "not an article: a website page with"),
    (SITE / "world" / "index.html", "not an article: a website page with"),
    (NEWS / "video-briefing.html", "not an article: a video.other page with"),
], ids=["home", "section", "video"])
def test_not_articles_are_recognized(path, reason):
    p = page(path)
    assert not p.is_article and p.not_article.startswith(reason)


def test_undeclared_pages_by_length_paragraphs_and_link_density():
    article = f"<html><body><h1>Budget</h1><p>{LONG}</p><p>{LONG}</p><p>{LONG}</p></body></html>"
    assert normalize(article).is_article
    links = "".join(f"<li><a href='/t/{i}'>{LONG[:60]} {i}</a></li>" for i in range(60))
    tag_page = f"<html><body><h1>Tag: budget</h1><ul>{links}</ul><p>{LONG}</p><p>{LONG}</p>" \
               f"<p>{LONG}</p><p>{LONG}</p></body></html>"
    p = normalize(tag_page)
    assert p.not_article == "not an article: link density 0.80"
    short = "<html><body><h1>Note</h1><p>Offices close early on Friday.</p></body></html>"
    assert normalize(short).not_article == "not an article: 5 words in 0 paragraphs"


def test_clean_title_drops_the_site_name():
    assert clean_title("Bank of Japan holds rates | Harbor Gazette", "Harbor Gazette") == \
        "Bank of Japan holds rates"
    assert clean_title("Harbor Gazette - Bank of Japan holds rates", "Harbor Gazette") == \
        "Bank of Japan holds rates"
    assert clean_title("Bank of Japan holds interest rates - BBC News") == \
        "Bank of Japan holds interest rates"
    assert clean_title("Milan Design Week: the best of 2018") == "Milan Design Week: the best of 2018"


def test_clean_lines_drops_edges_trafilatura_keeps():
    text = "\n".join(["Bank of Japan holds rates", "March 19, 2024 12:00", "5 min read",
                      "TOKYO — The Bank of Japan kept rates unchanged on Tuesday.",
                      "Read more:", "Like this story? Share it with a friend!",
                      "Exporters cheered the weak yen.", "12 comments"])
    assert clean_lines(text, ["Bank of Japan holds rates"]) == \
        "TOKYO — The Bank of Japan kept rates unchanged on Tuesday.\n\nExporters cheered the weak yen."


def test_publisher_marked_body_when_trafilatura_finds_little():
    paras = "".join(f"<p>{LONG} Paragraph {i}.</p>" for i in range(6))
    html = ("<html><body><div class='paywall'><p>This copy is for your personal use only.</p></div>"
            f"<div itemprop='articleBody' style='display:none'>{paras}</div></body></html>")
    body = normalize(html).body
    assert "Paragraph 5." in body


def test_extract_command_json_lines(tmp_path):
    (tmp_path / "a.html.gz").write_bytes(gzip.compress((NEWS / "rates-hold.html").read_bytes()))
    (tmp_path / "b.html").write_bytes((NEWS / "ceasefire-talks.html").read_bytes())
    (tmp_path / "c.html.gz").write_bytes(b"\x1f\x8bnot really gzip")
    result = CliRunner().invoke(cli, ["extract", str(tmp_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [Path(d["path"]).name for d in lines] == ["a.html.gz", "b.html", "c.html.gz"]
    a, b, c = lines
    assert {"path", "url", "title", "published", "authors", "language", "body"} <= set(a)
    assert a["title"] == "Bank of Japan holds interest rates" and a["language"] == "en"
    assert b["published"] == "2024-09-24T10:15:00-04:00" and b["authors"] == ["Dana Whitfield",
                                                                              "Omar Haddad"]
    assert set(c) == {"path", "error"}


def test_extract_command_text(tmp_path):
    result = CliRunner().invoke(cli, ["extract", str(NEWS / "video-briefing.html")])
    assert result.exit_code == 0
    assert "not an article: a video.other page" in result.output


def test_html_importer_skips_not_articles(tmp_path):
    from indexer.importers import Skipped
    from indexer.importers.html import read
    (item,) = list(read(NEWS / "video-briefing.html"))
    assert isinstance(item, Skipped) and "video.other" in item.reason
    (article,) = list(read(NEWS / "rates-hold.html", source="Gazette"))
    assert article.source == "Gazette" and article.published.isoformat() == "2024-03-19T12:00:00+09:00"


# -- titles and dates without structured data ------------------------------------------

def _bare(head: str, body: str) -> str:
    return f"<html><head><title>{head}</title></head><body>{body}<p>{LONG}</p></body></html>"


def test_visible_title_drops_the_site_name_named_by_the_logo_h1():
    html = _bare("Harbor lights return to the bay | Harbor Gazette",
                 "<header><h1>Harbor Gazette</h1></header><article><p>Story</p></article>")
    assert normalize(html, url="https://gazette.example/a").title == "Harbor lights return to the bay"


def test_visible_title_disagreement_is_settled_by_what_the_page_repeats():
    share = ("<a href='https://twitter.com/intent/tweet?text=Council%20approves%20the%20new%20"
             "school%20budget'>Tweet</a><img alt='Council approves the new school budget'>")
    html = _bare("Schools get more money - Gazette",
                 f"<article><h1>Council approves the new school budget</h1>{share}</article>")
    assert normalize(html).title == "Council approves the new school budget"
    # no repetition either way: <title> (what og:title usually says) wins the tie
    html = _bare("Schools get more money - Gazette",
                 "<article><h1>Council approves the new school budget</h1></article>")
    assert normalize(html).title == "Schools get more money"


def test_visible_date_from_the_byline_keeps_its_zone():
    html = _bare("Budget vote", "<article><h1>Budget vote</h1><figure><p>In this Dec. 12, 2006, "
                 "file photo, the hall.</p></figure><p>By Ann Lee</p>"
                 "<p>Published 3 March 2024 10:30 GMT</p></article>")
    assert normalize(html).published.isoformat() == "2024-03-03T10:30:00+00:00"
    html = _bare("Budget vote", "<article><h1>Budget vote</h1>"
                 "<span class='byline'>Nov. 19, 2019 8:03 am ET</span></article>")
    assert normalize(html).published.isoformat() == "2019-11-19T08:03:00-05:00"   # EST in November


def test_visible_date_skips_updated_and_trusts_the_url_day():
    html = _bare("Air quality", "<article><h1>Air quality</h1><span>Updated "
                 "<time datetime='2019-11-13T15:28:18-05:00'>Nov 13, 2019</time></span></article>")
    page = normalize(html, url="https://news.example/science/2019/11/8/20948348/air")
    assert page.published.date().isoformat() == "2019-11-08"
    # a zone-less <time datetime> shown with its zone: the shown one
    html = _bare("Star Trek", "<article><h1>Star Trek</h1><time datetime='2019-11-20T00:53:52'>"
                 "Nov 19, 2019, 7:53pm EST</time></article>")
    assert normalize(html).published.isoformat() == "2019-11-19T19:53:00-05:00"
