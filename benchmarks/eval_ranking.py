"""Ranking quality on the classic IR test collections (Cranfield, MEDLINE, CISI), against SQLite FTS5.

Figures, not assertions (the tests never run this; tests/test_eval_metrics.py tests
the metrics).  For each collection in ../shared/data/ir (see its README.md):

1. parse the documents (``.I``/``.T``/``.W``: title = .T, body = .W, id ``cran-17``),
   the queries (.W) and the judgments, and write the documents as article JSONL
   (CONTRACTS.md) into a fresh temp data dir;
2. import and index them through the normal pipeline
   (``pipeline.import_files(data, "jsonl", [path])``, ``pipeline.index(data)``;
   entities are tagged on import, as always);
3. run every judged query through ``SearchService.search(SearchRequest.from_params(
   {"q": text, "per_page": 100}))``, as the web app and CLI do, as a new user would:
   the query's lines joined with one space and lower-cased (so ``OR``/``AND``/``NOT``
   are words, not operators), otherwise verbatim.  Quotes, brackets, a leading
   ``-``/``+`` and ``title:``/``body:``/``source:`` are read as syntax; only a query
   refused for having no words to search for is retried with those characters
   neutralised (replaced by spaces) and counted as "neutralised".  A query still
   refused (BadRequest, e.g. longer than MAX_QUERY_CHARS) is counted as failed and
   scores 0; a query with no hits scores 0 too; both stay in the means;
4. the baseline in the same run: an FTS5 table (porter, title + body) built from the
   same store (``_baseline.build_fts``), bm25 with the title weighted 2.5x over the OR
   of the query's words (Whoosh's stop words dropped; ``_baseline.to_fts_any``), top 100;
5. prints per collection MAP@100 (trec_eval's map_cut_100: over all relevant
   documents), P@10 and nDCG@10 for each system, the ratios newsdesk/FTS5, and how
   many queries were judged, failed, neutralised and returned nothing; then the mean
   over the collections.  It writes the same table to benchmarks/results/ranking.md.

Judgments: a query counts when it has at least one relevant document.  cranqrel
numbers queries by position in cran.qry; its grades 1-4 (Cleverdon's scale, 1 = a
complete answer) are relevant, -1 is skipped; nDCG uses gain 5 - grade there (4..1).
MED.REL and CISI.REL are binary (gain 1).

Ranking variants are named configurations in ``VARIANTS`` (register one with
``@variant(name, description)``): a function that gets the collection's data dir,
indexed, and returns a searcher ``text -> ranked article ids`` (raising BadRequest
when the service refuses the request).  Each is one more row per collection.

Usage: .venv/bin/python benchmarks/eval_ranking.py [--collection cran] [--variant NAME]
           [--verbose] [--keep] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _baseline import Fts, build_fts, to_fts_any  # noqa: E402
from ir_metrics import average_precision_at, ndcg_at, precision_at  # noqa: E402

from indexer import pipeline  # noqa: E402
from indexer.config import DataDir  # noqa: E402
from indexer.engine import querying  # noqa: E402
from indexer.errors import BadRequest  # noqa: E402
from indexer.search import MAX_PER_PAGE, SearchRequest, SearchService  # noqa: E402
from indexer.store import Store  # noqa: E402

IR = ROOT.parent / "shared" / "data" / "ir"
RESULTS = Path(__file__).resolve().parent / "results" / "ranking.md"
DEPTH = MAX_PER_PAGE      # 100: one page of the search service, so MAP@100
CUTOFF = 10               # P@10, nDCG@10
BASELINE = "FTS5 bm25 (OR)"


# -- the collections -----------------------------------------------------------

_FIELD = re.compile(r"^\.([A-Z])(?:\s+(.*?))?\s*$")


def read_smart(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(``.I`` number, {field letter: text}) per record of a SMART-format file.

    A field's lines are stripped and joined with one space; a field given twice
    (cran 576 and 578 have two .W) is the two texts joined."""
    number, fields, letter = None, {}, None
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        match = _FIELD.match(line)
        if match and match.group(1) == "I":
            if number is not None:
                yield number, _joined(fields)
            number, fields, letter = str(int(match.group(2))), {}, None
        elif match and not match.group(2):
            letter = match.group(1)
            fields.setdefault(letter, [])
        elif letter is not None and line.strip():
            fields[letter].append(line.strip())
    if number is not None:
        yield number, _joined(fields)


def _joined(fields: dict[str, list[str]]) -> dict[str, str]:
    return {letter: " ".join(lines) for letter, lines in fields.items()}


@dataclass
class Collection:
    name: str
    source: str
    docs: list[dict]                             # article JSON (CONTRACTS.md)
    queries: dict[str, str]                      # query id -> text (every query)
    qrels: dict[str, dict[str, float]]           # query id -> doc id -> gain (> 0: relevant)
    graded: bool

    @property
    def judged(self) -> list[str]:
        """Query ids with at least one relevant document, in query order."""
        return [q for q in self.queries if any(g > 0 for g in self.qrels.get(q, {}).values())]


def _docs(name: str, path: Path) -> list[dict]:
    return [{"id": f"{name}-{number}", "title": fields.get("T", ""), "body": fields.get("W", ""),
             "source": name.upper(), "language": "en"}
            for number, fields in read_smart(path)]


def _qrels(name: str, path: Path, columns: Callable[[list[str]], tuple[str, str, float | None]]
           ) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            query, doc, gain = columns(line.split())
            if gain is not None:
                out.setdefault(str(int(query)), {})[f"{name}-{int(doc)}"] = gain
    return out


def _cran_gain(grade: str) -> float | None:
    """Cleverdon's grades: 1 (a complete answer) .. 4 (minimum interest) -> gains 4..1; -1 skipped."""
    g = int(grade)
    return float(5 - g) if 1 <= g <= 4 else None


def load(name: str, root: Path = IR) -> Collection:
    folder = root / name
    if name == "cran":
        queries = [fields.get("W", "") for _, fields in read_smart(folder / "cran.qry")]
        return Collection(   # cranqrel numbers queries by position in cran.qry, not by .I
            name, "Cranfield", _docs(name, folder / "cran.all.1400"),
            {str(i): text for i, text in enumerate(queries, 1)},
            _qrels(name, folder / "cranqrel", lambda c: (c[0], c[1], _cran_gain(c[2]))), graded=True)
    if name == "med":     # MED.REL: query 0 doc 1
        return Collection(
            name, "MEDLINE", _docs(name, folder / "MED.ALL"),
            {n: f.get("W", "") for n, f in read_smart(folder / "MED.QRY")},
            _qrels(name, folder / "MED.REL", lambda c: (c[0], c[2], 1.0)), graded=False)
    if name == "cisi":    # CISI.REL: query doc 0 0.000000
        return Collection(
            name, "CISI", _docs(name, folder / "CISI.ALL"),
            {n: f.get("W", "") for n, f in read_smart(folder / "CISI.QRY")},
            _qrels(name, folder / "CISI.REL", lambda c: (c[0], c[1], 1.0)), graded=False)
    raise ValueError(f"unknown collection {name!r}")


COLLECTIONS = ("cran", "med", "cisi")


# -- queries as a user types them --------------------------------------------------

def user_text(text: str) -> str:
    """The query as a new user would type it: one line, lower case, otherwise verbatim."""
    return " ".join(text.split()).lower()


_SYNTAX = {
    "quotes": re.compile(r'"'),
    "brackets": re.compile(r"[()]"),
    "leading -/+": re.compile(r"(?:^|\s)[-+]"),
    "field:": re.compile(r"(?:^|[\s(\"+-])(?:title|body|source):", re.I),
}


def syntax_in(text: str) -> list[str]:
    """Which characters of our query syntax ``text`` holds (read as syntax, not neutralised)."""
    return [name for name, pattern in _SYNTAX.items() if pattern.search(text)]


def neutralised(text: str) -> str:
    """``text`` with every character our syntax reads replaced by a space."""
    text = re.sub(r'["()]', " ", text)
    text = re.sub(r"(?:^|(?<=\s))[-+]+", " ", text)
    text = re.sub(r"\b(title|body|source):", r"\1 ", text, flags=re.I)
    return " ".join(text.split())


# -- the ranking variants -------------------------------------------------------------

Searcher = Callable[[str], list[str]]


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    open: Callable[[DataDir], Searcher]


VARIANTS: dict[str, Variant] = {}


def variant(name: str, description: str):
    """Register a ranking configuration: ``open(data) -> searcher`` becomes one more row."""
    def register(open_: Callable[[DataDir], Searcher]) -> Callable[[DataDir], Searcher]:
        VARIANTS[name] = Variant(name, description, open_)
        return open_
    return register


@variant("newsdesk", "SearchService as the web app and CLI run it, page 1 of 100 "
                    "(the configuration chosen: indexer/engine/querying.py's RANKING)")
def _current(data: DataDir) -> Searcher:
    service = SearchService(data)

    def search(text: str) -> list[str]:
        result = service.search(SearchRequest.from_params({"q": text, "per_page": DEPTH}))
        return [hit.id for hit in result.hits]
    return search


def ranked_with(**changes) -> Callable[[DataDir], Searcher]:
    """The same SearchService with ``querying.RANKING`` changed only while it searches:
    one ranking choice against the chosen configuration, through the same code path."""
    def open_(data: DataDir) -> Searcher:
        plain = _current(data)

        def search(text: str) -> list[str]:
            chosen = querying.RANKING
            querying.RANKING = replace(chosen, **changes)
            try:
                return plain(text)
            finally:
                querying.RANKING = chosen
        return search
    return open_


# each one choice away from the chosen configuration (or back to plain BM25F)
for _name, _description, _changes in [
    ("BM25F", "BM25F alone: k1 1.2, each word once, no feedback",
     dict(k1=1.2, k3=0.0, feedback_from=10**6)),
    ("BM25F k1 2", "BM25F, k1 2.0, each word once, no feedback", dict(k3=0.0, feedback_from=10**6)),
    ("BM25F k1 2 + qtf", "BM25F, k1 2.0, repeated words count (k3 3), no feedback",
     dict(feedback_from=10**6)),
    ("no qtf", "chosen, but each word counted once (k3 0)", dict(k3=0.0)),
    ("k1 1.2", "chosen, but k1 1.2", dict(k1=1.2)),
    ("k1 1.5", "chosen, but k1 1.5", dict(k1=1.5)),
    ("b 0.9", "chosen, but b 0.9 for both fields", dict(b_title=0.9, b_body=0.9)),
    ("b 0.5", "chosen, but b 0.5 for both fields", dict(b_title=0.5, b_body=0.5)),
    ("title 1", "chosen, but the title weighted as the body", dict(title_weight=1.0)),
    ("title 4", "chosen, but the title weighted 4x", dict(title_weight=4.0)),
    ("fb 10 docs", "chosen, but feedback from the 10 best articles", dict(feedback_docs=10)),
    ("fb 20 terms", "chosen, but 20 feedback words", dict(feedback_terms=20)),
    ("fb 10 docs 20 terms", "chosen, but feedback from the 10 best articles, 20 words",
     dict(feedback_docs=10, feedback_terms=20)),
    ("fb 20 docs 40 terms", "chosen, but feedback from the 20 best articles, 40 words",
     dict(feedback_docs=20, feedback_terms=40)),
    ("fb weight 0.3", "chosen, but feedback 0.3 of the expanded query", dict(feedback_weight=0.3)),
    ("fb weight 0.7", "chosen, but feedback 0.7 of the expanded query", dict(feedback_weight=0.7)),
    ("fb 1000 chars", "chosen, but feedback reads 1,000 characters of each body",
     dict(feedback_chars=1000)),
    ("fb 4000 chars", "chosen, but feedback reads 4,000 characters of each body",
     dict(feedback_chars=4000)),
    ("fb all words", "chosen, but feedback words however common (no df cut)",
     dict(feedback_max_df=1.0)),
    ("fb from 2 words", "chosen, but feedback for every query of 2 or more words",
     dict(feedback_from=2)),
    ("all words first", "chosen, but articles with every word first at any length", dict(short=10**6)),
    ("max 32 words", "chosen, but at most 32 distinct words searched", dict(max_words=32)),
]:
    variant(_name, _description)(ranked_with(**_changes))


# -- scoring ----------------------------------------------------------------------------

@dataclass
class Run:
    """One system's answers to one collection's judged queries."""

    system: str
    ap: dict[str, float] = field(default_factory=dict)
    p10: dict[str, float] = field(default_factory=dict)
    ndcg10: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)        # query id -> why
    neutralised: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def score(self, qid: str, ranked: list[str], gains: dict[str, float]) -> None:
        if not ranked and qid not in self.failed:
            self.empty.append(qid)
        self.ap[qid] = average_precision_at(ranked, gains, DEPTH)
        self.p10[qid] = precision_at(ranked, gains, CUTOFF)
        self.ndcg10[qid] = ndcg_at(ranked, gains, CUTOFF)

    def means(self) -> tuple[float, float, float]:
        return (statistics.fmean(self.ap.values()), statistics.fmean(self.p10.values()),
                statistics.fmean(self.ndcg10.values()))


def run_newsdesk(name: str, searcher: Searcher, coll: Collection, texts: dict[str, str]) -> Run:
    run = Run(name)
    started = time.perf_counter()
    for qid in coll.judged:
        ranked: list[str] = []
        try:
            ranked = searcher(texts[qid])
        except BadRequest as exc:
            plain = neutralised(texts[qid])
            if "no words to search for" in str(exc) and plain and plain != texts[qid]:
                try:
                    ranked = searcher(plain)
                    run.neutralised.append(qid)
                except BadRequest as again:
                    run.failed[qid] = str(again)
            else:
                run.failed[qid] = str(exc)
        run.score(qid, ranked, coll.qrels[qid])
    run.seconds = time.perf_counter() - started
    return run


def run_fts(fts: Fts, coll: Collection, texts: dict[str, str]) -> Run:
    run = Run(BASELINE)
    started = time.perf_counter()
    for qid in coll.judged:
        match = to_fts_any(texts[qid])
        if match is None:
            run.failed[qid] = "no words"
        run.score(qid, fts.ranked(match, DEPTH) if match else [], coll.qrels[qid])
    run.seconds = time.perf_counter() - started
    return run


# -- the table ----------------------------------------------------------------------------

def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


HEADER = ("| collection | system | MAP@100 | P@10 | nDCG@10 | MAP ratio | P@10 ratio | nDCG ratio "
          "| judged | failed | neutralised | no hits |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def table(results: dict[str, list[Run]], judged: dict[str, int]) -> str:
    """Markdown: per collection the baseline row, then each variant with ratios to it;
    then the mean over the collections of each figure."""
    lines = [HEADER]
    systems = [r.system for r in next(iter(results.values()))]
    for name, runs in results.items():
        base = runs[0].means()
        for run in runs:
            m = run.means()
            ratios = ("", "", "") if run.system == BASELINE else tuple(
                _ratio(a, b) for a, b in zip(m, base))
            lines.append(f"| {name} | {run.system} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | "
                         f"{' | '.join(ratios)} | {judged[name]} | {len(run.failed)} | "
                         f"{len(run.neutralised)} | {len(run.empty)} |")
    if len(results) > 1:
        base_mean = [statistics.fmean(runs[0].means()[i] for runs in results.values()) for i in range(3)]
        for s, system in enumerate(systems):
            m = [statistics.fmean(runs[s].means()[i] for runs in results.values()) for i in range(3)]
            ratios = ("", "", "") if system == BASELINE else tuple(
                _ratio(a, b) for a, b in zip(m, base_mean))
            counts = [sum(len(getattr(runs[s], k)) for runs in results.values())
                      for k in ("failed", "neutralised", "empty")]
            lines.append(f"| **mean of {len(results)}** | {system} | {m[0]:.3f} | {m[1]:.3f} | "
                         f"{m[2]:.3f} | {' | '.join(ratios)} | {sum(judged.values())} | "
                         f"{' | '.join(map(str, counts))} |")
    return "\n".join(lines)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


# -- main -----------------------------------------------------------------------------------

def evaluate(name: str, variants: list[Variant], root: Path, args) -> tuple[list[Run], int, list[str]]:
    coll = load(name)
    judged = coll.judged
    texts = {q: user_text(coll.queries[q]) for q in judged}
    notes = []
    data = DataDir.resolve(root / name)
    data.ensure()
    jsonl = data.root / f"{name}.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for doc in coll.docs:
            out.write(json.dumps(doc) + "\n")
    t = time.perf_counter()
    report = pipeline.import_files(data, "jsonl", [jsonl])
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    written = pipeline.index(data)
    t_index = time.perf_counter() - t
    fts_path = data.root / "ranking_fts5.sqlite"
    build_fts(data.store_path, fts_path)
    with Store(data.store_path, readonly=True) as store:
        stored = set(store.hashes())
    missing = {d for q in judged for d, g in coll.qrels[q].items() if g > 0 and d not in stored}
    syntax: dict[str, int] = {}
    for q in judged:
        for kind in syntax_in(texts[q]):
            syntax[kind] = syntax.get(kind, 0) + 1
    print(f"\n{name}: {len(coll.docs)} documents ({report.read} imported, {len(report.skipped)} "
          f"skipped) in {t_import:.1f} s, indexed {written.added} in {t_index:.1f} s; "
          f"{len(coll.queries)} queries, {len(judged)} judged "
          f"({'graded' if coll.graded else 'binary'} gains)")
    for skip in report.skipped:
        print(f"  skipped on import: {skip.where}: {skip.reason}")
    if missing:
        notes.append(f"{name}: {len(missing)} relevant documents not in the index")
    longest = max(len(t) for t in texts.values())
    print(f"  query text: lower-cased, one line; up to {longest} characters; read as syntax in "
          + (", ".join(f"{n} {k}" for k, n in syntax.items()) if syntax else "none"))
    runs = []
    fts = Fts(fts_path)
    try:
        runs.append(run_fts(fts, coll, texts))
    finally:
        fts.close()
    for v in variants:
        runs.append(run_newsdesk(v.name, v.open(data), coll, texts))
    for run in runs:
        m = run.means()
        print(f"  {run.system:22} MAP@100 {m[0]:.3f}  P@10 {m[1]:.3f}  nDCG@10 {m[2]:.3f}   "
              f"{len(judged) / run.seconds:6.0f} queries/s")
        reasons: dict[str, int] = {}
        for why in run.failed.values():
            reasons[why] = reasons.get(why, 0) + 1
        for why, n in reasons.items():
            print(f"    failed: {n} x {why}: queries {', '.join(q for q in judged if run.failed.get(q) == why)}")
            notes.append(f"{name}, {run.system}: {n} failed: {why}")
        if run.failed:
            ran = [q for q in judged if q not in run.failed]
            print(f"    over the {len(ran)} that ran: MAP@100 {statistics.fmean(run.ap[q] for q in ran):.3f}"
                  f" (FTS5 on those: {statistics.fmean(runs[0].ap[q] for q in ran):.3f})")
        if run.neutralised:
            print(f"    neutralised (refused for no words, retried): {run.neutralised}")
    if args.verbose:
        print(f"  {'query':>6} {'AP ' + runs[0].system:>22} " +
              " ".join(f"{'AP ' + r.system:>22}" for r in runs[1:]) + "  text")
        for q in judged:
            print(f"  {q:>6} {runs[0].ap[q]:22.3f} " + " ".join(f"{r.ap[q]:22.3f}" for r in runs[1:])
                  + f"  {texts[q][:70]}")
    return runs, len(judged), notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collection", action="append", choices=COLLECTIONS,
                    help="only this collection (repeatable; default all three)")
    ap.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                    help="only this ranking variant (repeatable; default all)")
    ap.add_argument("--verbose", action="store_true", help="AP per query, every system")
    ap.add_argument("--keep", action="store_true", help="keep the temp data dirs")
    ap.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = ap.parse_args(argv)

    names = args.collection or list(COLLECTIONS)
    absent = [n for n in names if not (IR / n).is_dir()]
    if absent:
        print(f"eval_ranking: skipped: the IR test collections are not at {IR} "
              f"(missing: {', '.join(absent)}; see that folder's README.md); nothing to measure")
        return 0
    variants = [VARIANTS[n] for n in (args.variant or VARIANTS)]

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-ranking-"))
    results, judged, notes = {}, {}, []
    try:
        print(f"data dirs under {tmp}; SQLite {sqlite3.sqlite_version}; "
              f"systems: {BASELINE}, {', '.join(v.name for v in variants)}")
        for name in names:
            results[name], judged[name], more = evaluate(name, variants, tmp, args)
            notes += more
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    text = table(results, judged)
    took = time.perf_counter() - started
    print(f"\nranking quality: MAP@100 (first page of {DEPTH}), P@{CUTOFF}, nDCG@{CUTOFF} "
          f"(cran graded, med/cisi binary); ratio = system / {BASELINE}\n")
    print(text)
    for note in notes:
        print(f"note: {note}")
    print(f"({took:.0f} s)")
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        legend = "\n".join(f"- **{v.name}**: {v.description}" for v in variants)
        RESULTS.write_text(
            f"# Ranking quality (`benchmarks/eval_ranking.py`)\n\n"
            f"{stamp}, commit {_commit()}, SQLite {sqlite3.sqlite_version}. "
            f"MAP@100 (trec_eval map_cut_100, over the first page of {DEPTH}), P@{CUTOFF}, "
            f"nDCG@{CUTOFF} (cran: graded gains 5 - grade; med, cisi: binary). Ratio = system / "
            f"{BASELINE}. Failed (refused by the service) and no-hit queries score 0 and stay "
            f"in the means.\n\n{text}\n\n- **{BASELINE}**: SQLite FTS5, porter, title + body, "
            f"bm25 (title 2.5x) over the OR of the query's words (Whoosh's stop words "
            f"dropped), top {DEPTH}\n{legend}\n"
            + "".join(f"\nNote: {n}" for n in notes) + ("\n" if notes else ""),
            encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
