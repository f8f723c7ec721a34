"""Property-based fuzzing of every importer: whatever the bytes, no traceback, nothing lost.

For each format (jsonl, reuters, text, html) and for ``newsdesk import`` itself,
Hypothesis writes hostile inputs to real files -- random bytes, JSON nested
tens of thousands deep, fields of the wrong type, random Unicode with lone
surrogates, huge and non-finite numbers, markup cut off mid-story, gzip cut
off mid-stream -- and imports them into a real store.  The properties:

* ``run_import`` (and the CLI) never raises;
* every input unit is accounted for: each non-blank JSONL line, each
  ``<REUTERS`` opening, each text or HTML file is imported or reported
  skipped, exactly once;
* every example finishes within the Hypothesis ``deadline`` (bounded time).

The runs are deterministic (``derandomize``, no example database).  Each test
name says how many cases it runs (``FUZZ_CASES``), each test asserts that at
least that many ran, and prints the figure (see it with ``pytest -s`` or ``-rP``).
"""
from __future__ import annotations

import gzip
import json
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.articles import Article
from indexer.cli import cli
from indexer.entities import tag
from indexer.importers import Skipped, run_import
from indexer.store import Store

FUZZ_CASES = {"jsonl": 200, "reuters": 150, "text": 100, "html": 100, "cli": 100}
FUZZ = dict(deadline=timedelta(seconds=5), database=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                   HealthCheck.large_base_example])

# -- strategies ---------------------------------------------------------------------------

ODD = ["\ud800", "\udfff", "\ud83d", "\x00", "\x1f", "\u2028", "\ufeff", "\ufffd", "<", ">",
       "&", "&#0;", "&#55296;", "\\", '"', "\n", "\r"]
hostile_text = st.lists(st.one_of(st.characters(exclude_categories=()), st.sampled_from(ODD)),
                        max_size=40).map("".join)
numbers = st.one_of(st.integers(), st.integers(min_value=10**18, max_value=10**40),
                    st.floats(allow_nan=True, allow_infinity=True))
any_json = st.recursive(st.one_of(st.none(), st.booleans(), numbers, hostile_text),
                        lambda kids: st.lists(kids, max_size=4)
                        | st.dictionaries(hostile_text, kids, max_size=4), max_leaves=12)
words = st.text(st.sampled_from("abc Japan Israel Putin .,\n"), min_size=1, max_size=60)
WELL_TYPED = {
    "id": st.text(max_size=12), "url": st.sampled_from(["", "https://e.org/a", "http://[", "x"]),
    "source": words, "title": words, "body": words,
    "published": st.sampled_from(["", "2024-09-24", "1987-02-26T15:19:15+00:00", "nope",
                                  "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"]),
    "authors": st.lists(words, max_size=2) | words, "language": st.sampled_from(["en", "de"]),
    "countries": st.lists(st.sampled_from(["US", "il", "USA", "", "SU"]), max_size=3),
    "officials": st.lists(st.sampled_from(["Putin", {"name": "Lloyd Austin", "role": "x"},
                                           {"name": ""}, {}]), max_size=2),
    "source_tags": st.dictionaries(st.sampled_from(["places", "people"]),
                                   st.lists(words, max_size=2), max_size=2),
    "country_mentions": st.dictionaries(st.sampled_from(["US", "JP", "usa"]),
                                        st.integers(-1, 2**40), max_size=2),
}
# each field: absent, of its contract type (often), or any JSON value at all
record = st.fixed_dictionaries({}, optional={
    name: st.one_of(typed, typed, any_json) for name, typed in WELL_TYPED.items()})


@st.composite
def json_line(draw) -> bytes:
    kind = draw(st.sampled_from(["record", "record", "record", "json", "deep", "bytes",
                                 "bignum", "blank"]))
    if kind == "record":
        text = json.dumps(draw(record), ensure_ascii=draw(st.booleans()))
    elif kind == "json":
        text = json.dumps(draw(any_json), ensure_ascii=draw(st.booleans()))
    elif kind == "deep":
        depth = draw(st.integers(1, 100_000))
        text = draw(st.sampled_from(["[", '{"a":', '{"title": ['])) * depth
    elif kind == "bignum":
        text = '{"title": "t", "country_mentions": {"US": ' + "9" * draw(st.integers(1, 6000)) + "}}"
    elif kind == "blank":
        text = draw(st.sampled_from(["", " ", "\t", "\r"]))
    else:
        return draw(st.binary(max_size=80)).replace(b"\n", b" ")
    return text.replace("\n", " ").encode("utf-8", "surrogatepass")


@st.composite
def reuters_file(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        attrs = draw(st.sampled_from(['NEWID="{n}"', 'TOPICS="YES" NEWID="{n}"', "", 'NEWID="x"',
                                      'NEWID="{n}" OLDID="{n}"']))
        parts.append("<REUTERS " + attrs.format(n=draw(st.integers(0, 10**12))) + ">")
        for tag_name in draw(st.lists(st.sampled_from(["DATE", "TITLE", "BODY", "DATELINE",
                                                       "PLACES", "TEXT", "D"]), max_size=5)):
            closed = draw(st.booleans())
            parts.append(f"<{tag_name}>{draw(hostile_text)}" + (f"</{tag_name}>" if closed else ""))
        if draw(st.integers(0, 3)):
            parts.append("</REUTERS>")
        parts.append(draw(st.sampled_from(["\n", "", "junk", "</REUTERS>", "<REUTERS"])))
    text = "".join(parts)
    cut = draw(st.integers(0, len(text)))
    return text[:cut if draw(st.booleans()) else len(text)].encode("utf-8", "surrogatepass")


@st.composite
def html_file(draw) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        page = draw(st.binary(max_size=400))
    else:
        body = "".join(draw(st.lists(st.one_of(
            st.sampled_from(["<p>", "</p>", "<article>", "<h1>", "</h1>", "<script>", "<!--",
                             '<meta property="og:type" content="article">', "<html", "<?xml ",
                             '<script type="application/ld+json">{"@type": "NewsArticle", '
                             '"headline": [[[[', "</script>", "<time datetime=\"99999-1-1\">"]),
            hostile_text, words), max_size=30)))
        page = f"<html><head><title>{draw(words)}</title></head><body>{body}".encode(
            "utf-8", "surrogatepass")
    form = draw(st.sampled_from(["plain", "plain", "gzip", "cut-gzip"]))
    if form != "plain":
        page = gzip.compress(page)
        if form == "cut-gzip":
            page = page[:draw(st.integers(0, len(page) - 1))]
    return page


# -- the properties -----------------------------------------------------------------------

def import_files(fmt: str, files: dict[str, bytes], **options):
    """Write ``files`` to a fresh folder and import them into a fresh store; the report."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        for name, content in files.items():
            (root / "in" / name).write_bytes(content)
        with Store(root / "articles.sqlite") as store:
            report = run_import(store, fmt, [root / "in"], tagger=tag, procs=1, **options)
            assert store.count() == report.counts.added  # each added article really is stored
    for skip in report.skipped:
        assert isinstance(skip, Skipped) and skip.reason and str(root / "in") in skip.where
    return report


def fuzz(target: str, strategy):
    """Run ``check`` on ``FUZZ_CASES[target]`` examples of ``strategy``; the number run."""
    def run(check) -> int:
        ran = []
        tag(Article(id="warm", title="Warm up the entity tagger"))  # its one-off setup

        @settings(max_examples=FUZZ_CASES[target], **FUZZ)
        @given(strategy)
        def case(example):
            ran.append(1)
            check(example)

        case()
        print(f"\nfuzz cases run for {target}: {len(ran)}")
        assert len(ran) >= FUZZ_CASES[target]
        return len(ran)
    return run


def nonblank(content: bytes) -> int:
    return sum(1 for line in content.split(b"\n") if line.strip())


def test_jsonl_200_hostile_files_each_line_imported_or_skipped():
    files = st.lists(st.lists(json_line(), max_size=6).map(b"\n".join), min_size=1, max_size=2)

    def check(contents):
        named = {f"f{n}.jsonl": c for n, c in enumerate(contents)}
        gz = {f"g{n}.jsonl.gz": gzip.compress(c) for n, c in enumerate(contents[:1])}
        report = import_files("jsonl", {**named, **gz})
        units = sum(map(nonblank, contents)) + nonblank(contents[0])
        assert report.read + len(report.skipped) == units
        assert all(re.search(r":\d+$", s.where) for s in report.skipped)  # each names its line

    fuzz("jsonl", files)(check)


def test_reuters_150_hostile_sgm_files_each_story_imported_or_skipped():
    def check(content):
        report = import_files("reuters", {"reut2-x.sgm": content})
        openings = len(re.findall(r"<REUTERS\b", content.decode("latin-1")))
        assert report.read + len(report.skipped) == max(1, openings)

    fuzz("reuters", reuters_file())(check)


def test_text_100_hostile_files_each_imported_or_skipped():
    content = st.one_of(st.binary(max_size=300),
                        hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
    options = st.fixed_dictionaries({"published": st.sampled_from(["", "2024-09-24"]),
                                     "url": st.sampled_from(["", "https://e.org/x", "http://["]),
                                     "title": st.sampled_from(["", "Given title"])})

    def check(example):
        content, opts = example
        report = import_files("text", {"a.txt": content, "b.txt": content[::-1]}, **opts)
        assert report.read + len(report.skipped) == 2

    fuzz("text", st.tuples(content, options))(check)


def test_html_100_hostile_pages_each_imported_or_skipped():
    def check(pages):
        report = import_files("html", {f"p{n}.html.gz" if p[:2] == b"\x1f\x8b" else f"p{n}.html": p
                                       for n, p in enumerate(pages)})
        assert report.read + len(report.skipped) == len(pages)

    fuzz("html", st.lists(html_file(), min_size=1, max_size=2))(check)


SUMMARY = re.compile(r"^(\d+) files: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) skipped$")


def test_cli_100_hostile_imports_exit_0_3_or_1_never_a_traceback():
    def check(lines):
        content = b"\n".join(lines)
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "in.jsonl"
            src.write_bytes(content)
            result = CliRunner().invoke(cli, ["--data-dir", f"{tmp}/data", "import", "jsonl",
                                              str(src)])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exc_info
        assert "Traceback" not in result.output
        summary = next(m for m in map(SUMMARY.match, result.output.splitlines()) if m)
        read = sum(map(int, summary.group(2, 3, 4)))
        skipped = int(summary.group(5))
        assert read + skipped == nonblank(content)
        expected = 1 if read == 0 else 3 if skipped else 0
        assert result.exit_code == expected, result.output

    fuzz("cli", st.lists(json_line(), max_size=5))(check)


@pytest.mark.parametrize("target", sorted(FUZZ_CASES))
def test_every_target_has_a_fuzz_test_naming_its_case_count(target):
    names = [name for name in globals() if name.startswith(f"test_{target}_")]
    assert names == [n for n in names if f"_{FUZZ_CASES[target]}_" in n] and names
