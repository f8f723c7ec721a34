"""Core benchmark: import, index and search speed on Reuters-21578, against SQLite FTS5.

Figures, not assertions (the tests never run this).  In a fresh temp data dir
(or ``--data-dir``) it
1. imports ../shared/data/reuters21578/reut2-0*.sgm (Reuters-21578, Distribution 1.0)
   with ``pipeline.import_files`` and times it (articles/s);
2. rebuilds the index with ``pipeline.reindex`` (2 processes) and times it
   (articles/s, index size on disk);
3. runs every query of benchmarks/queries_core.txt through
   ``SearchService.search(SearchRequest.from_params(...))`` as the product does
   (page 1, 10 per page, all facet counts, snippets): one first pass on cold caches (reported apart), then
   ``--passes`` timed passes; p50/p95/p99/mean latency;
4. builds an SQLite FTS5 table (porter tokenizer) over the same store and runs
   the same queries there, timed the same way: bm25-ranked top 10 with
   snippet(), a total COUNT and the country counts (GROUP BY over a side
   table), with the same country filters;
5. prints newsdesk vs FTS5 and the 5 slowest newsdesk queries.

queries_core.txt: one query per line; ``query<TAB>country=JP&country=US`` adds
filters (parsed with urllib.parse.parse_qs and merged into the params).

Usage: .venv/bin/python benchmarks/bench_core.py [--quick] [--data-dir DIR]
           [--passes 3] [--verbose] [--profile K] [--keep]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whoosh.analysis import STOP_WORDS  # noqa: E402

from indexer import engine, pipeline  # noqa: E402
from indexer.config import DataDir  # noqa: E402
from indexer.search import SearchRequest, SearchService  # noqa: E402
from indexer.store import Store  # noqa: E402

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578"
QUERIES = Path(__file__).resolve().parent / "queries_core.txt"
QUICK_FILES = 3
TARGET_RATIO = 3.0          # newsdesk p95 within 3x of FTS5's
TARGET_INDEX_RATE = 1500    # articles/s


# -- queries -----------------------------------------------------------------

def load_queries(path: Path = QUERIES) -> list[tuple[str, dict[str, list[str]]]]:
    """(line as written, params for SearchRequest.from_params) for each line."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        text, _, filters = line.partition("\t")
        params: dict[str, list[str]] = {"q": [text]}
        for key, values in parse_qs(filters).items():
            params.setdefault(key, []).extend(values)
        params.setdefault("page", ["1"])
        params.setdefault("per_page", ["10"])
        out.append((line.replace("\t", "  |  "), params))
    return out


_TOKEN = re.compile(r'-?(?:title:|body:)?"[^"]*"?|\S+')


def _fts_words(text: str) -> list[str]:
    """Words of a token as FTS5 sees them, minus the stop words Whoosh drops too."""
    return [w for w in re.findall(r"\w+", text.lower()) if w not in STOP_WORDS and len(w) > 1]


def _items(text: str) -> list[tuple[str, str, list[str]]]:
    """(kind, column, words) per token: kind is "pos", "neg" or "or"."""
    items = []
    for token in _TOKEN.findall(text):
        if token == "OR":
            items.append(("or", "", []))
            continue
        if token in ("AND", "NOT"):
            continue
        negative = token.startswith("-") and len(token) > 1
        token = token[1:] if negative else token
        column = ""
        for prefix in ("title:", "body:"):
            if token.startswith(prefix):
                column, token = prefix[:-1], token[len(prefix):]
        words = _fts_words(token)
        if words:
            items.append(("neg" if negative else "pos", column, words))
    return items


def _string(column: str, words: list[str]) -> str:
    expr = '"' + " ".join(words) + '"'   # one word, or a phrase: never a syntax error
    return f"{column} : {expr}" if column else expr


def to_fts(text: str) -> str | None:
    """Our query syntax as an FTS5 MATCH expression (None when no word is left).

    Words are AND-ed, "phrases" kept, -x becomes NOT x, OR joins its two
    neighbours (in parentheses), title:x becomes the column filter ``title : x``;
    every word is emitted as an FTS5 string, so no input can be a syntax error.
    Whoosh's stop words are dropped (it drops them at analysis too).
    """
    items = [(kind, _string(column, words) if words else "")
             for kind, column, words in _items(text)]
    groups: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        kind, expr = items[i]
        if kind == "or":
            i += 1
            continue
        if kind == "pos":      # fold "a OR b OR c" into one positive group
            alts = [expr]
            while i + 2 < len(items) and items[i + 1][0] == "or" and items[i + 2][0] == "pos":
                alts.append(items[i + 2][1])
                i += 2
            expr = alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"
        groups.append((kind, expr))
        i += 1
    positive = [e for k, e in groups if k == "pos"]
    negative = [e for k, e in groups if k == "neg"]
    if not positive:   # FTS5 has no pure NOT; such a query is left out of the FTS5 side
        return None
    return "(" + " AND ".join(positive) + ")" + "".join(f" NOT {e}" for e in negative)


def to_fts_relaxed(text: str) -> str | None:
    """Any of the positive words, OR-ed: what newsdesk falls back to when no
    document has them all (``relaxed``), so both sides return the same hits."""
    words = {(column, w) for kind, column, ws in _items(text) if kind == "pos" for w in ws}
    if len({w for _, w in words}) < 2:
        return None
    return " OR ".join(_string(column, [w]) for column, w in sorted(words))


# -- FTS5 --------------------------------------------------------------------

def build_fts(store_path: Path, fts_path: Path) -> int:
    if fts_path.exists():
        fts_path.unlink()
    db = sqlite3.connect(fts_path)
    db.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter');
        CREATE TABLE article_country(doc INTEGER NOT NULL, code TEXT NOT NULL);
        CREATE TABLE article_id(doc INTEGER PRIMARY KEY, id TEXT NOT NULL);
    """)
    n = 0
    with Store(store_path) as store, db:
        rows, countries, ids = [], [], []
        for n, article in enumerate(store, 1):
            rows.append((n, article.title, article.body))
            ids.append((n, article.id))
            countries.extend((n, c) for c in article.countries)
            if len(rows) >= 1000:
                db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", rows)
                rows.clear()
        db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO article_country VALUES (?, ?)", countries)
        db.executemany("INSERT INTO article_id VALUES (?, ?)", ids)
        db.execute("CREATE INDEX article_country_code ON article_country(code, doc)")
        db.execute("CREATE INDEX article_country_doc ON article_country(doc, code)")
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.close()
    return n


class Fts:
    """The same request as SearchService.search, in FTS5: top 10 + snippets, total, countries."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)

    def search(self, params: dict[str, list[str]]) -> tuple[int, list] | None:
        text = " ".join(params.get("q", []))
        match = to_fts(text)
        if match is None:
            return None
        count = "SELECT count(*) FROM fts WHERE fts MATCH ?"
        total = self.db.execute(count, [match]).fetchone()[0]
        if not total:
            relaxed = to_fts_relaxed(text)
            if relaxed:
                match = relaxed
                total = self.db.execute(count, [match]).fetchone()[0]
        codes = [c.upper() for c in params.get("country", [])]
        where, args = "fts MATCH ?", [match]
        if codes:   # driven by MATCH, each hit checked against the side table
            where += (" AND EXISTS (SELECT 1 FROM article_country c WHERE c.doc = fts.rowid"
                      " AND c.code IN (%s))" % ",".join("?" * len(codes)))
            args += codes
            total = self.db.execute(f"SELECT count(*) FROM fts WHERE {where}", args).fetchone()[0]
        page = self.db.execute(
            f"SELECT i.id, fts.title, snippet(fts, 1, '<mark>', '</mark>', ' … ', 40),"
            f" bm25(fts, 2.5, 1.0) AS score"
            f" FROM fts JOIN article_id i ON i.doc = fts.rowid"
            f" WHERE {where} ORDER BY score LIMIT 10", args).fetchall()
        # the country facet counts "given the other active filters": not its own filter
        self.db.execute(
            "SELECT c.code, count(*) AS n FROM fts JOIN article_country c ON c.doc = fts.rowid"
            " WHERE fts MATCH ? GROUP BY c.code ORDER BY n DESC, c.code LIMIT 50",
            [match]).fetchall()
        return total, page

    def close(self) -> None:
        self.db.close()


# -- timing ------------------------------------------------------------------

def timed_passes(run, queries, passes: int) -> tuple[list[list[float]], list[list[float]]]:
    """ms per query: the first (cold-cache) pass, then ``passes`` warm passes."""
    cold = []
    for _, params in queries:
        t = time.perf_counter()
        run(params)
        cold.append([(time.perf_counter() - t) * 1000])
    times = [[0.0] * passes for _ in queries]
    for p in range(passes):
        for i, (_, params) in enumerate(queries):
            t = time.perf_counter()
            run(params)
            times[i][p] = (time.perf_counter() - t) * 1000
    return cold, times


def summary(times: list[list[float]]) -> dict[str, float]:
    flat = sorted(t for row in times for t in row)
    cuts = statistics.quantiles(flat, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(flat)}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def profile(service: SearchService, queries, top: int = 25) -> None:
    for label, params in queries:
        req = SearchRequest.from_params(params)
        prof = cProfile.Profile()
        for _ in range(5):
            prof.runcall(service.search, req)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        print(f"\n--- cProfile, 5 runs of {label!r} ---")
        print("\n".join(out.getvalue().splitlines()[4:]))


# -- main --------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK_FILES} Reuters files")
    ap.add_argument("--data-dir", help="data dir to use (default: a fresh temp dir)")
    ap.add_argument("--passes", type=int, default=3, help="timed passes (default 3)")
    ap.add_argument("--verbose", action="store_true", help="per query: totals and ms, both sides")
    ap.add_argument("--profile", type=int, default=0, metavar="K",
                    help="cProfile SearchService.search on the K slowest queries")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = ap.parse_args(argv)

    paths = sorted(REUTERS.glob("reut2-0*.sgm"))
    if not paths:
        sys.exit(f"bench_core: Reuters-21578 not found at {REUTERS} "
                 "(expected reut2-000.sgm … reut2-017.sgm); nothing to measure")
    if args.quick:
        paths = paths[:QUICK_FILES]
    queries = load_queries()

    tmp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    data = DataDir.resolve(args.data_dir or tmp)
    try:
        print(f"data dir: {data.root}   Reuters files: {len(paths)}   queries: {len(queries)}")

        t = time.perf_counter()
        report = pipeline.import_files(data, "reuters", paths)
        t_import = time.perf_counter() - t
        n_import = report.read
        print(f"import   {n_import:6d} articles in {t_import:6.1f} s = {n_import / t_import:7.0f} "
              f"articles/s  (added {report.counts.added}, skipped {len(report.skipped)})")

        t = time.perf_counter()
        written = pipeline.reindex(data)
        t_index = time.perf_counter() - t
        gen = engine.current_generation(data.index_root)
        index_mb = dir_size(gen) / 1e6
        index_rate = written.added / t_index
        print(f"index    {written.added:6d} articles in {t_index:6.1f} s = {index_rate:7.0f} "
              f"articles/s  (reindex, 2 procs)  index {index_mb:.1f} MB")

        fts_path = data.root / "bench_fts5.sqlite"
        t = time.perf_counter()
        n_fts = build_fts(data.store_path, fts_path)
        t_fts = time.perf_counter() - t
        fts_rate = n_fts / t_fts
        fts_mb = fts_path.stat().st_size / 1e6
        print(f"FTS5     {n_fts:6d} articles in {t_fts:6.1f} s = {fts_rate:7.0f} "
              f"articles/s  (SQLite {sqlite3.sqlite_version}, porter)  {fts_mb:.1f} MB")

        service = SearchService(data)

        def run_nd(params):
            return service.search(SearchRequest.from_params(params))

        nd_cold, nd_times = timed_passes(run_nd, queries, args.passes)
        fts = Fts(fts_path)
        fts_queries = [(label, params) for label, params in queries
                       if to_fts(" ".join(params["q"])) is not None]
        skipped_fts = [label for label, params in queries if (label, params) not in fts_queries]
        fts_cold, fts_times = timed_passes(fts.search, fts_queries, args.passes)

        nd, fx = summary(nd_times), summary(fts_times)
        print(f"\nsearch latency, ms ({len(queries)} queries x {args.passes} passes, after a "
              f"first pass that is reported apart; page 1 of 10, facet counts, snippets)")
        print(f"{'':18}{'newsdesk':>10}{'FTS5':>10}{'ratio':>8}")
        for key in ("p50", "p95", "p99", "mean"):
            print(f"{key:18}{nd[key]:10.2f}{fx[key]:10.2f}{nd[key] / fx[key]:7.1f}x")
        nd_c, fx_c = summary(nd_cold), summary(fts_cold)
        for key in ("p50", "p95"):
            print(f"{'first pass ' + key:18}{nd_c[key]:10.2f}{fx_c[key]:10.2f}"
                  f"{nd_c[key] / fx_c[key]:7.1f}x  (cold: fresh process, empty caches)")
        print(f"{'build articles/s':18}{index_rate:10.0f}{fts_rate:10.0f}"
              f"{index_rate / fts_rate:7.2f}x")
        print(f"{'index MB':18}{index_mb:10.1f}{fts_mb:10.1f}{index_mb / fts_mb:7.2f}x")
        ratio = nd["p95"] / fx["p95"]
        print(f"target: newsdesk p95 <= {TARGET_RATIO:.0f}x FTS5 p95 ... "
              f"{'MET' if ratio <= TARGET_RATIO else 'MISSED'} ({ratio:.1f}x)")
        print(f"target: indexing >= {TARGET_INDEX_RATE} articles/s ... "
              f"{'MET' if index_rate >= TARGET_INDEX_RATE else 'MISSED'} ({index_rate:.0f})")
        if skipped_fts:
            print(f"(left out of FTS5, no positive word: {skipped_fts})")

        order = sorted(range(len(queries)), key=lambda i: -statistics.median(nd_times[i]))
        print("\n5 slowest newsdesk queries (median of passes, ms; total hits):")
        for i in order[:5]:
            label, params = queries[i]
            total = service.search(SearchRequest.from_params(params)).total
            print(f"{statistics.median(nd_times[i]):9.1f}  {label}   ({total} hits)")

        if args.verbose:
            fts_ms = {label: statistics.median(row) for (label, _), row in zip(fts_queries, fts_times)}
            print(f"\n{'newsdesk ms':>11} {'hits':>6} {'FTS5 ms':>8} {'hits':>6}  query")
            for i, (label, params) in enumerate(queries):
                total = service.search(SearchRequest.from_params(params)).total
                got = fts.search(params)
                ftotal = got[0] if got else "-"
                fms = f"{fts_ms[label]:8.2f}" if label in fts_ms else f"{'-':>8}"
                print(f"{statistics.median(nd_times[i]):11.2f} {total:6d} {fms} {ftotal:>6}  {label}")
        fts.close()

        if args.profile:
            profile(service, [queries[i] for i in order[:args.profile]])
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"\nkept {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
