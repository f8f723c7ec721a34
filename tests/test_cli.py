"""The CLI as users type it: real data dirs, exact outputs."""
import json

import pytest
from click.testing import CliRunner
from conftest import needs_shared

from indexer.cli import cli

COMMANDS = ["import", "index", "reindex", "search", "stats", "export", "entities", "serve"]


def run(*args, data=None, ok=True):
    prefix = ["--data-dir", str(data)] if data else []
    result = CliRunner().invoke(cli, [*prefix, *map(str, args)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    out = run(command, "--help").output
    assert "Example" in out and len(out.splitlines()) > 4


def test_top_level_help_lists_the_commands():
    out = run("--help").output
    assert all(c in out for c in COMMANDS) and "--data-dir" in out


def test_seed_article_end_to_end(tmp_path):
    seed = needs_shared("seed", "000_a24fab76c0b5a9cb.txt")
    out = run("import", "text", seed, "--source", "Example News", "--published", "2024-09-24",
              data=tmp_path).output
    assert out.strip().endswith("1 files: 1 added, 0 updated, 0 unchanged, 0 skipped")
    assert "built gen-000001: 1 added" in run("index", data=tmp_path).output
    result = json.loads(run("search", "ground invasion", "--country", "LB", "--json",
                            data=tmp_path).output)
    assert result["total"] == 1
    (hit,) = result["hits"]
    assert hit["countries"] and sorted(hit["countries"]) == ["IL", "LB", "US"]
    officials = {o["name"]: o for o in hit["officials"]}
    assert {"Joe Biden", "Lloyd Austin", "Yoav Gallant", "Patrick Ryder"} <= set(officials)
    assert all(o["role"] and o["country"] for o in officials.values())
    assert officials["Lloyd Austin"]["country"] == "US" and officials["Yoav Gallant"]["country"] == "IL"
    both = json.loads(run("search", "ground invasion", "--country", "LB", "--official",
                          "Lloyd Austin", "--json", data=tmp_path).output)
    assert both["total"] == 1


def test_search_text_output_and_stats(data_dir):
    out = run("search", "interest rates", data=data_dir.root).output.splitlines()
    assert out[0].startswith("2 articles (")
    assert out[1].startswith("  1. Bank of Japan holds interest rates  [Harbor Gazette, 2024-03-19, JP]")
    stats = json.loads(run("stats", "--json", data=data_dir.root).output)
    assert stats["articles"] == 5 and stats["indexed"] == 5
    assert set(stats) == {"articles", "indexed", "index", "facets"}


def test_export_then_import_round_trips(data_dir, tmp_path):
    out = tmp_path / "all.jsonl"
    run("export", "-o", out, data=data_dir.root)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4", "a5"]
    assert rows[0]["officials"][0] == {"name": "Lloyd Austin", "role": "Defense Secretary",
                                       "country": "US"}
    again = run("import", "jsonl", out, data=data_dir.root).output
    assert again.strip().endswith("0 added, 0 updated, 5 unchanged, 0 skipped")
    copy = tmp_path / "copy"
    run("import", "jsonl", out, data=copy)
    assert json.loads(run("stats", "--json", data=copy).output)["articles"] == 5


@pytest.mark.parametrize("args,message", [
    (["search", "x", "--page", "-1"], "Error: page must be between 1 and 1000"),
    (["search", "?!"], "Error: the query '?!' has no words to search for"),
    (["search", "x", "--from", "nope"], "Error: from must be a date like 2024-09-24"),
    (["import", "text", "x.txt", "--published", "soon"], "Error: not a date: 'soon'"),
    (["search", "x", *["--country", "JP"] * 51], "Error: too many country values: at most 50"),
    (["search", "x" * 4001], "Error: the query is too long (at most 4000 characters)"),
])
def test_errors_are_one_line_and_exit_non_zero(data_dir, args, message):
    result = run(*args, data=data_dir.root, ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(message)


def test_search_before_any_index_says_what_to_do(tmp_path):
    result = run("search", "x", data=tmp_path / "none", ok=False)
    assert result.exit_code == 1 and "run `newsdesk index` first" in result.output


def test_data_dir_from_the_environment(data_dir, monkeypatch):
    monkeypatch.setenv("NEWSDESK_DATA", str(data_dir.root))
    assert json.loads(run("stats", "--json").output)["articles"] == 5


def test_entities_command_shows_evidence(tmp_path):
    story = tmp_path / "s.txt"
    story.write_text("Israel's Gallant visits Washington\n\nIsraeli Defense Minister Yoav Gallant met "
                     "Defense Secretary Lloyd Austin at the Pentagon.")
    found = json.loads(run("entities", story, "--json").output)
    codes = {c["code"] for c in found["countries"]}
    assert {"IL", "US"} <= codes
    gallant = next(o for o in found["officials"] if o["name"] == "Yoav Gallant")
    assert gallant["country"] == "IL"
    text = "Israel's Gallant visits Washington\n\n" + story.read_text().split("\n\n", 1)[1]
    for start, end, span in gallant["evidence"]:
        assert text[start:end] == span


def test_a_full_disk_during_reindex_loses_nothing(data_dir):
    """A real write failure: the child may write no file larger than 64 KiB (RLIMIT_FSIZE)."""
    import resource
    import signal
    import subprocess
    import sys

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    before = json.loads(run("stats", "--json", data=data_dir.root).output)["index"]
    big = data_dir.root.parent / "big.jsonl"
    big.write_text("".join(json.dumps({"id": f"b{n}", "title": f"Story {n}",
                                       "body": "words " * 2000 + str(n)}) + "\n"
                           for n in range(40)))
    run("import", "jsonl", big, data=data_dir.root)
    result = subprocess.run(
        [sys.executable, "-m", "indexer.cli", "--data-dir", str(data_dir.root), "reindex"],
        capture_output=True, text=True, preexec_fn=small_disk)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: File too large")
    assert "nothing was lost" in result.stderr
    after = json.loads(run("stats", "--json", data=data_dir.root).output)
    assert after["index"]["generation"] == before["generation"] and after["indexed"] == 5
    assert [p.name for p in data_dir.index_root.glob("gen-*")] == [before["generation"]]
    assert after["articles"] == 45


@pytest.mark.parametrize("url", ["javascript:alert(1)", "example.org", "http://x.org/?a=1"])
def test_serve_refuses_a_bad_base_url_before_serving(data_dir, url):
    result = run("serve", "--port", "0", "--base-url", url, data=data_dir.root, ok=False)
    assert result.exit_code == 2
    assert "Invalid value for --base-url: a base URL" in result.output


GOOD_LINE = json.dumps({"id": "g1", "title": "Good"}) + "\n"


@pytest.mark.parametrize("content,status,last_line", [
    (GOOD_LINE, 0, "1 files: 1 added, 0 updated, 0 unchanged, 0 skipped"),
    (GOOD_LINE + "{oops\n", 3, "1 files: 1 added, 0 updated, 0 unchanged, 1 skipped"),
    ('{"title": "T", "countries": "USA"}\n', 1, "Error: nothing imported: every input was skipped (1)"),
    ("\n\n", 1, "Error: nothing imported: the files hold no articles"),
])
def test_import_exit_status_says_what_happened(tmp_path, content, status, last_line):
    src = tmp_path / "in.jsonl"
    src.write_text(content)
    result = run("import", "jsonl", src, data=tmp_path / "data", ok=False)
    assert result.exit_code == status, result.output
    assert result.output.strip().splitlines()[-1] == last_line


def test_import_of_nothing_exits_1_with_a_clear_message(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not jsonl")
    result = run("import", "jsonl", empty, data=tmp_path / "data", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: nothing imported: no jsonl files (*.jsonl, *.jsonl.gz, *.ndjson) in {empty}")
    missing = run("import", "text", tmp_path / "gone.txt", data=tmp_path / "data", ok=False)
    assert missing.exit_code == 1
    assert f"skipped {tmp_path / 'gone.txt'}: No such file or directory" in missing.output


def test_import_help_documents_the_exit_status():
    out = run("import", "--help").output
    assert "Exit status:" in out
    assert "0  every input was imported" in out and "3  some were imported, some skipped" in out
    assert "1  nothing was imported" in out


def test_no_bytes_give_a_traceback_and_later_files_still_import(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("[" * 200_000 + "\n")
    (folder / "b.jsonl").write_bytes(b'{"title": "\xed\xa0\x80"}\n')  # an encoded surrogate
    (folder / "c.jsonl").write_text(GOOD_LINE)
    result = run("import", "jsonl", folder, data=tmp_path / "data", ok=False)
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no error raised
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == "3 files: 1 added, 0 updated, 0 unchanged, 2 skipped"


def test_countries_and_officials_resolve_from_names_aliases_and_surnames(data_dir):
    def total(*args):
        return json.loads(run("search", *args, "--json", data=data_dir.root).output)["total"]
    assert total("--country", "LB") == 2
    assert total("--country", "Lebanon") == total("--country", "lbn") == 2
    assert total("--country", "the united states") == total("--country", "USA") == 2
    assert total("--official", "gallant") == total("--official", "Yoav Gallant") == 1
    assert total("--official", "KISHIDA") == 1


@pytest.mark.parametrize("args,message", [
    (["--country", "XX"], "Error: no country 'XX'; it has e.g. "),
    (["--country", "Lebanonn"], "Error: no country 'Lebanonn'; did you mean Lebanon (LB)"),
    (["--official", "Galant"], "Error: no official 'Galant' in the index; did you mean "
                               "'Yoav Gallant'?"),
    (["--official", "nobody at all"], "Error: no official 'nobody at all' in the index"),
])
def test_a_filter_value_matching_nothing_says_so_with_suggestions(data_dir, args, message):
    result = run("search", "rates", *args, data=data_dir.root, ok=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output


def test_a_real_country_with_no_articles_is_no_error(data_dir):
    out = run("search", "--country", "Saudi Arabia", "--json", data=data_dir.root).output
    assert json.loads(out)["total"] == 0  # a country, just not in this corpus


def test_entities_on_a_text_with_none_says_so(tmp_path):
    story = tmp_path / "plain.txt"
    story.write_text("Weather\n\nIt rained all day and the river rose.")
    out = run("entities", story).output
    assert out.strip() == f"no countries or officials found in {story}"
    assert json.loads(run("entities", story, "--json").output) == {"countries": [], "officials": []}


def test_long_commands_print_a_one_line_progress_summary_on_stderr_when_not_a_terminal(
        data_dir, tmp_path):
    """CliRunner is not a terminal: no bar, one summary line each, on stderr only."""
    src = tmp_path / "more.jsonl"
    src.write_text(json.dumps({"id": "b1", "title": "Yen slides", "body": "The yen fell.",
                               "source": "Harbor Gazette", "published": "2024-06-01"}) + "\n")
    imported = run("import", "jsonl", src, data=data_dir.root)
    assert "import: 1 files, 1 articles in " in imported.stderr
    assert "import:" not in imported.stdout and "\r" not in imported.stderr
    assert imported.stdout.strip() == "1 files: 1 added, 0 updated, 0 unchanged, 0 skipped"
    indexed = run("index", data=data_dir.root)
    assert [line for line in indexed.stderr.splitlines() if line.startswith("index: ")] == [
        indexed.stderr.strip()] and indexed.stderr.startswith("index: 1 articles in ")
    assert indexed.stdout.startswith("updated gen-") and "index:" not in indexed.stdout
    rebuilt = run("reindex", "--entities", data=data_dir.root)
    assert rebuilt.stderr.splitlines()[0].startswith("retag: 6 articles in ")
    assert rebuilt.stderr.splitlines()[1].startswith("reindex: 6 articles in ")
    assert "retag:" not in rebuilt.stdout and "reindex:" not in rebuilt.stdout
    assert rebuilt.stdout.splitlines()[-1].endswith(": 6 articles")
    assert json.loads(run("stats", "--json", data=data_dir.root).stdout)["indexed"] == 6


def test_progress_on_a_terminal_is_a_bar_with_total_not_the_summary(monkeypatch, capsys):
    from indexer import cli as cli_module
    monkeypatch.setattr(cli_module.sys.stderr, "isatty", lambda: True, raising=False)
    with cli_module._Progress("reindex", "articles") as bar:
        bar.total(4)
        for _ in range(4):
            bar.update(1)
        assert bar.bar.total == 4 and bar.bar.n == 4 and not bar.bar.disable
    err = capsys.readouterr().err
    assert "reindex: 4 articles in" not in err and "0/4" in err  # the total, for the ETA


def test_search_says_which_words_no_article_contains(data_dir):
    out = run("search", "interest blockchain smartphone", data=data_dir.root).stdout.splitlines()
    assert out[0].startswith("2 articles, 0 with every word")
    assert out[1] == "No article contains: blockchain, smartphone"
    as_json = json.loads(run("search", "interest blockchain", "--json", data=data_dir.root).stdout)
    assert as_json["missing_words"] == ["blockchain"] and as_json["total"] == 2
    exact = run("search", "interest rates", data=data_dir.root).stdout
    assert "No article contains" not in exact


def test_search_answers_a_misspelling_with_its_correction_and_says_so(tmp_path):
    from conftest import make_data_dir
    from test_search import OIL
    data = make_data_dir(tmp_path, OIL).root
    out = run("search", "petrolium exports", data=data).output
    assert "Showing results for: petroleum exports (search instead for 'petrolium exports'" in out
    assert "Norway raises petroleum exports" in out
    out = run("search", "petrolium exports", "--as-typed", data=data).output
    assert "did you mean: petroleum exports?" in out and "Showing results" not in out


def test_crawl_progress_gives_pages_done_of_those_known_and_an_eta():
    from indexer.cli import crawl_progress
    line = crawl_progress({"fetched": 30, "failed": 2, "queued": 68, "rate": 2.0})
    assert line == ("crawl: 32 of 100 known pages (30 fetched, 2 failed, 68 queued), "
                    "2.0 pages/s, ETA 0:34")
    # --max-pages caps the total; the last line has no ETA
    assert "32 of 42 known pages" in crawl_progress(
        {"fetched": 30, "failed": 2, "queued": 68, "rate": 2.0}, max_pages=40)
    assert "ETA" not in crawl_progress(
        {"fetched": 30, "failed": 0, "queued": 0, "rate": 2.0, "final": True})
    assert crawl_progress({"fetched": 1, "failed": 0, "queued": 9000, "rate": 1.0}).endswith(
        "ETA 2:30:00")


def test_a_search_does_not_import_the_duplicate_detector():
    """datasketch pulls in scipy (0.4 s, 50 MB): only index and reindex need it, so a
    cold `newsdesk search` or `serve` must not pay for it."""
    import subprocess
    import sys

    code = ("import sys, indexer.cli, webapp; "
            "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
