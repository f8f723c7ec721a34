"""The SQLite FTS5 baseline the benchmarks measure newsdesk against, and the query file.

Shared by bench_core.py (Reuters-21578, country facet only, as it always was)
and scale.py (synthetic corpora, every facet, dates, browse):

- ``load_queries``: benchmarks/queries_core.txt as SearchRequest params;
- ``to_fts`` / ``to_fts_relaxed``: our query syntax as an FTS5 MATCH expression;
  ``to_fts_any``: every word OR-ed (eval_ranking.py);
- ``build_fts``: an FTS5 table (title, body, ``tokenize='porter'``) built from a
  newsdesk article store, with side tables for the facets: ``article_country``
  always; with ``full=True`` also ``article_official`` and ``article_meta``
  (published, source) for the official and source facets, date filters,
  newest/oldest sorts and the timeline;
- ``Fts.search``: the same request as ``SearchService.search`` in SQL: total
  ``COUNT``, bm25 top 10 with ``snippet()``, facet counts by ``GROUP BY`` (each
  "given the other active filters", as newsdesk counts them), and with
  ``full=True`` the timeline (matches per month, without the date filter, as
  newsdesk draws it) and browsing without words.

With ``full=False`` (bench_core.py) the statements are exactly the ones
bench_core.py always ran, so its figures stay comparable across commits.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs

QUERIES = Path(__file__).resolve().parent / "queries_core.txt"
# Whoosh's stop words (whoosh.analysis.STOP_WORDS), written out so that a process
# answering FTS5 queries needs neither whoosh nor newsdesk: scale.py times a fresh
# one.  scale.py checks that they still equal Whoosh's.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in",
    "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we",
    "when", "will", "with", "yet", "you", "your"))


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


def to_fts_any(text: str) -> str | None:
    """Every word of ``text``, OR-ed, as plain text (no query syntax read: quotes,
    brackets, signs and ``field:`` are just separators); Whoosh's stop words dropped.
    The ranked-retrieval baseline of eval_ranking.py.  None when no word is left."""
    words = dict.fromkeys(_fts_words(text))
    return " OR ".join(_string("", [w]) for w in words) or None


# -- building ----------------------------------------------------------------

def build_fts(store_path: Path, fts_path: Path, *, full: bool = False) -> int:
    """The FTS5 database for a newsdesk store; the number of articles in it.

    ``full`` adds the official, source and date side tables (scale.py); without
    it only the country table, as bench_core.py has always built it.
    """
    from indexer.articles import iso
    from indexer.store import Store
    if fts_path.exists():
        fts_path.unlink()
    db = sqlite3.connect(fts_path)
    db.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter');
        CREATE TABLE article_country(doc INTEGER NOT NULL, code TEXT NOT NULL);
        CREATE TABLE article_id(doc INTEGER PRIMARY KEY, id TEXT NOT NULL);
    """)
    if full:
        db.executescript("""
            CREATE TABLE article_official(doc INTEGER NOT NULL, name TEXT NOT NULL);
            CREATE TABLE article_meta(doc INTEGER PRIMARY KEY, published TEXT, source TEXT NOT NULL);
        """)
    n = 0
    with Store(store_path) as store, db:
        rows, countries, ids, officials, meta = [], [], [], [], []
        for n, article in enumerate(store, 1):
            rows.append((n, article.title, article.body))
            ids.append((n, article.id))
            countries.extend((n, c) for c in article.countries)
            if full:
                officials.extend((n, name) for name in dict.fromkeys(o.name for o in article.officials))
                meta.append((n, iso(article.published), article.source))
            if len(rows) >= 1000:
                db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", rows)
                rows.clear()
                if full:  # keep memory flat on big stores
                    db.executemany("INSERT INTO article_country VALUES (?, ?)", countries)
                    db.executemany("INSERT INTO article_id VALUES (?, ?)", ids)
                    db.executemany("INSERT INTO article_official VALUES (?, ?)", officials)
                    db.executemany("INSERT INTO article_meta VALUES (?, ?, ?)", meta)
                    for batch in (countries, ids, officials, meta):
                        batch.clear()
        db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO article_country VALUES (?, ?)", countries)
        db.executemany("INSERT INTO article_id VALUES (?, ?)", ids)
        db.execute("CREATE INDEX article_country_code ON article_country(code, doc)")
        db.execute("CREATE INDEX article_country_doc ON article_country(doc, code)")
        if full:
            db.executemany("INSERT INTO article_official VALUES (?, ?)", officials)
            db.executemany("INSERT INTO article_meta VALUES (?, ?, ?)", meta)
            db.executescript("""
                CREATE INDEX article_official_name ON article_official(name, doc);
                CREATE INDEX article_official_doc ON article_official(doc, name);
                CREATE INDEX article_meta_published ON article_meta(published);
                CREATE INDEX article_meta_source ON article_meta(source, published);
            """)
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.close()
    return n


# -- searching ---------------------------------------------------------------

_FACET_SQL = {  # facet -> (table alias, the table joined on doc, value column)
    "country": ("c", "article_country", "c.code"),
    "official": ("o", "article_official", "o.name"),
    "source": ("m", "article_meta", "m.source"),
}


def _next_day(text: str) -> str:
    return (date.fromisoformat(text) + timedelta(days=1)).isoformat()


class Fts:
    """The same request as SearchService.search, in FTS5: top 10 + snippets, total, facets.

    ``full=False``: the country facet only (bench_core.py); ``full=True``: country,
    official and source facets, ``source``/``official``/``from``/``to`` filters,
    ``sort=newest|oldest``, ``page``, the timeline, and requests without words.
    After each search ``self.facets`` holds the facet counts it computed.
    """

    def __init__(self, path: Path, *, full: bool = False):
        self.db = sqlite3.connect(path)
        self.full = full
        self.facet_names = ("country", "official", "source") if full else ("country",)
        self.facets: dict[str, list[tuple[str, int]]] = {}

    # the filters as SQL over a document number expression ``doc``
    def _filters(self, params: dict[str, list[str]], doc: str) -> dict[str, tuple[str, list]]:
        out: dict[str, tuple[str, list]] = {}
        codes = [c.upper() for c in params.get("country", [])]
        if codes:
            out["country"] = (f"EXISTS (SELECT 1 FROM article_country c WHERE c.doc = {doc}"
                              " AND c.code IN (%s))" % ",".join("?" * len(codes)), codes)
        if not self.full:
            return out
        names = params.get("official", [])
        if names:
            out["official"] = (f"EXISTS (SELECT 1 FROM article_official o WHERE o.doc = {doc}"
                               " AND o.name IN (%s))" % ",".join("?" * len(names)), list(names))
        sources = params.get("source", [])
        if sources:
            out["source"] = ("m.source IN (%s)" % ",".join("?" * len(sources)), list(sources))
        dates, args = [], []
        if params.get("from"):
            dates.append("m.published >= ?")
            args.append(params["from"][-1])
        if params.get("to"):
            dates.append("m.published < ?")
            args.append(_next_day(params["to"][-1]))
        if dates:
            out["date"] = (" AND ".join(dates), args)
        return out

    @staticmethod
    def _where(base: str, args: list, filters: dict[str, tuple[str, list]],
               leave_out: str = "") -> tuple[str, list]:
        where, args = base, list(args)
        for name, (sql, values) in filters.items():
            if name != leave_out:
                where = f"{where} AND {sql}" if where else sql
                args += values
        return where or "1", args

    @staticmethod
    def _needs_meta(filters, leave_out: str = "") -> bool:
        return any(name in ("source", "date") for name in filters if name != leave_out)

    def search(self, params: dict[str, list[str]]) -> tuple[int, list] | None:
        text = " ".join(params.get("q", []))
        if self.full and not text.strip():
            return self._browse(params)
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
        # driven by MATCH, each hit checked against the side tables
        filters = self._filters(params, "fts.rowid")
        meta = " JOIN article_meta m ON m.doc = fts.rowid"
        where, args = self._where("fts MATCH ?", [match], filters)
        join = meta if self._needs_meta(filters) else ""
        if filters:
            total = self.db.execute(f"SELECT count(*) FROM fts{join} WHERE {where}", args).fetchone()[0]
        sort = (params.get("sort") or ["relevance"])[-1]
        order = {"newest": "m.published DESC", "oldest": "m.published ASC"}.get(sort, "score")
        if order != "score":
            join = meta
        page = int((params.get("page") or ["1"])[-1])
        offset = f" OFFSET {(page - 1) * 10}" if page > 1 else ""
        hits = self.db.execute(
            f"SELECT i.id, fts.title, snippet(fts, 1, '<mark>', '</mark>', ' … ', 40),"
            f" bm25(fts, 2.5, 1.0) AS score"
            f" FROM fts JOIN article_id i ON i.doc = fts.rowid{join}"
            f" WHERE {where} ORDER BY {order} LIMIT 10{offset}", args).fetchall()
        # each facet counts "given the other active filters": not its own filter
        self.facets = {}
        for name in self.facet_names:
            alias, table, column = _FACET_SQL[name]
            f_where, f_args = self._where("fts MATCH ?", [match], filters, leave_out=name)
            f_join = f" JOIN {table} {alias} ON {alias}.doc = fts.rowid"
            if name != "source" and self._needs_meta(filters, leave_out=name):
                f_join += meta
            self.facets[name] = self.db.execute(
                f"SELECT {column}, count(*) AS n FROM fts{f_join}"
                f" WHERE {f_where} GROUP BY {column} ORDER BY n DESC, {column} LIMIT 50",
                f_args).fetchall()
        if self.full:  # like newsdesk's timeline: every period, so not the date filter
            t_where, t_args = self._where("fts MATCH ?", [match], filters, leave_out="date")
            self.timeline = self.db.execute(
                f"SELECT substr(m.published, 1, 7) AS period, count(*) FROM fts{meta}"
                f" WHERE {t_where} GROUP BY period ORDER BY period", t_args).fetchall()
        return total, hits

    def ranked(self, match: str, limit: int = 100) -> list[str]:
        """Article ids of the top ``limit`` bm25 matches of ``match``, title weighted
        2.5x as in ``search`` (eval_ranking.py's ranking baseline)."""
        return [row[0] for row in self.db.execute(
            "SELECT i.id FROM fts JOIN article_id i ON i.doc = fts.rowid"
            " WHERE fts MATCH ? ORDER BY bm25(fts, 2.5, 1.0) LIMIT ?", [match, limit])]

    def _browse(self, params: dict[str, list[str]]) -> tuple[int, list]:
        """No words: every article passing the filters, newest (or oldest) first."""
        filters = self._filters(params, "m.doc")
        where, args = self._where("", [], filters)
        total = self.db.execute(f"SELECT count(*) FROM article_meta m WHERE {where}",
                                args).fetchone()[0]
        sort = (params.get("sort") or ["newest"])[-1]
        order = "m.published ASC" if sort == "oldest" else "m.published DESC"
        page = int((params.get("page") or ["1"])[-1])
        hits = self.db.execute(
            f"SELECT i.id, f.title, substr(f.body, 1, 200) FROM article_meta m"
            f" JOIN article_id i ON i.doc = m.doc JOIN fts f ON f.rowid = m.doc"
            f" WHERE {where} ORDER BY {order} LIMIT 10 OFFSET {(page - 1) * 10}", args).fetchall()
        self.facets = {}
        for name in self.facet_names:
            alias, table, column = _FACET_SQL[name]
            f_filters = self._filters(params, f"{alias}.doc")
            f_where, f_args = self._where("", [], f_filters, leave_out=name)
            f_from = f"{table} {alias}"
            if name != "source" and self._needs_meta(f_filters, leave_out=name):
                f_from += f" JOIN article_meta m ON m.doc = {alias}.doc"
            self.facets[name] = self.db.execute(
                f"SELECT {column}, count(*) AS n FROM {f_from}"
                f" WHERE {f_where} GROUP BY {column} ORDER BY n DESC, {column} LIMIT 50",
                f_args).fetchall()
        t_where, t_args = self._where("", [], filters, leave_out="date")
        self.timeline = self.db.execute(
            f"SELECT substr(m.published, 1, 7) AS period, count(*) FROM article_meta m"
            f" WHERE {t_where} GROUP BY period ORDER BY period", t_args).fetchall()
        return total, hits

    def close(self) -> None:
        self.db.close()
