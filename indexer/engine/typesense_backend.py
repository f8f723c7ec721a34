"""The cluster backend: the same search on a replicated Typesense (0.24) cluster.

``--engine typesense://API_KEY@host:port[,host:port...][/ALIAS]`` (ALIAS
defaults to ``newsdesk``).  Every node takes reads; writes go to the Raft
leader through whichever node is asked.  What is mapped, and how:

| embedded engine | here |
|---|---|
| stemmed title/body, stop words | indexed pre-analyzed by our analyzer (``*_terms``, ``*_text``): Typesense 0.24 has no stemming |
| words, AND, OR, -exclude, title:, source: | exact ``filter_by`` over the term arrays (:mod:`.typesense_query`) |
| "phrases" | Typesense phrase search on the analyzed text, resolved to ids |
| facet counts given the other filters | one search per active facet in the same ``multi_search``, plus the main one |
| timeline | a ``day`` facet without the date filter: matches per day, as embedded |
| dates, newest/oldest | ``published`` int64 (undated = the largest key, as embedded) and ``seq`` for ties |
| BM25F (+RM3) ranking | scored client-side (:mod:`.typesense_rank`) on the matches, with df/avg from Typesense |
| snippets | :func:`.snippets.snippet` on the stored body of the page's hits |
| more-like-this | the article's 12 highest tf-idf body words, OR-ed, ranked by BM25F |
| did-you-mean | the embedded rule (:func:`.speller.corrected`) over the titles' words (``spell_words``), candidates found by Typesense's own typo-tolerant search |
| generations, atomic swap | a new collection per build, the alias swapped to it, the old dropped |

Relevance is exact when a tier holds at most :data:`EXACT` matches (all are
scored); above that the candidates are each query word's best
:data:`PER_WORD` by Typesense's own field-priority text match, then scored.
Errors from an unreachable cluster become IndexUnavailable with the hosts.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import unquote

from ..articles import Article
from ..errors import BadInput, BadRequest, IndexUnavailable
from . import querying
from . import typesense_query as tq
from . import typesense_rank as rank
from .snippets import SNIPPET_CHARS, snippet
from .speller import RARE, closest, corrected, query_words, spell_words
from .types import FACETS, DayCounts, EngineHit, EngineQuery, EngineResult, WriteReport, facet_order

UNDATED = 2 ** 62                # sorts after every date, as Whoosh's column does
EXACT = 1000                     # tiers up to this many matches are scored in full
PER_WORD = 250                   # candidates per query word above that
PAGE = 250                       # Typesense's largest page
MULTI = 50                       # searches per multi_search (the server's default limit)
BATCH = 500                      # documents per import call
IMPORT_TRIES = 4                 # sends of one batch when a node answers with an empty body
FIELD = {"country": "countries", "official": "officials", "source": "source"}
SEARCH = {"num_typos": 0, "prefix": "false", "drop_tokens_threshold": 0,
          "typo_tokens_threshold": 0, "exhaustive_search": "true"}
ALL_VALUES = 100_000
STORY_VALUES = 250               # story facet values asked first when collapsing


def schema(name: str) -> dict:
    def f(n, t, **kw):
        return {"name": n, "type": t, **kw}
    stored = {"index": False, "optional": True}
    return {"name": name, "fields": [
        f("aid", "string"), f("content_hash", "string"), f("seq", "int64"),
        f("title_terms", "string[]", optional=True), f("body_terms", "string[]", optional=True),
        f("title_text", "string", optional=True), f("body_text", "string", optional=True),
        f("source", "string", facet=True), f("countries", "string[]", facet=True, optional=True),
        f("officials", "string[]", facet=True, optional=True),
        f("official_info", "string[]", facet=True, optional=True),
        f("published", "int64"), f("dated", "bool"), f("day", "string", facet=True, optional=True),
        f("title_len", "int32", facet=True), f("body_len", "int32", facet=True),
        f("spell_words", "string[]", optional=True),
        f("title", "string", **stored), f("body", "string", **stored), f("url", "string", **stored),
        f("officials_json", "string", **stored),
        f("story", "string", facet=True, optional=True),  # its story (indexer/dedup.py), for collapsing
        f("encoding", "int32", optional=True)]}  # ENCODING: how terms and values are stored


ENCODING = 3  # 2: terms as tq.term_key, ids and facet values as tq.exact; 3: story a facet


def to_document(article: Article, seq: int) -> dict:
    key, exact = tq.term_key, tq.exact
    title = [key(t) for t in tq.analyze(article.title)]
    body = [key(t) for t in tq.analyze(article.body)]
    published = article.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return {
        "id": article.id, "aid": exact(article.id), "content_hash": article.index_hash, "seq": seq,
        "title_terms": sorted(set(title)), "body_terms": sorted(set(body)),
        "title_text": " ".join(title), "body_text": " ".join(body),
        "title_len": len(title), "body_len": len(body),
        "spell_words": spell_words(article.title),
        "source": exact(article.source), "countries": [exact(c) for c in article.countries],
        "officials": [exact(o.name.replace(",", " ")) for o in article.officials],
        "official_info": [exact(f"{o.name}|{o.role}|{o.country}".replace(",", " "))
                          for o in article.officials],
        "published": int(published.timestamp()) if published else UNDATED,
        "dated": published is not None,
        "day": published.astimezone(timezone.utc).strftime("%Y-%m-%d") if published else "",
        "title": article.title, "body": article.body, "url": article.url,
        "officials_json": json.dumps([o.to_json() for o in article.officials]),
        "story": exact(article.story or article.id), "encoding": ENCODING,
    }


def parse_spec(spec: str) -> tuple[str, list[tuple[str, int]], str]:
    """``typesense://KEY@h:p,h:p/ALIAS`` -> (key, [(host, port)], alias)."""
    rest = spec.split("://", 1)[1] if "://" in spec else ""
    key, at, rest = rest.rpartition("@")
    hosts, _, alias = rest.partition("/")
    try:
        nodes = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in hosts.split(",") if h]
    except (ValueError, IndexError):
        nodes = []
    if not at or not key or not nodes:
        raise BadInput(f"bad engine {spec!r}: expected typesense://API_KEY@host:port[,host:port...][/alias]")
    return unquote(key), nodes, alias or "newsdesk"


class TypesenseBackend:
    """One alias on one cluster; stateless apart from small per-collection caches."""

    name = "typesense"

    def __init__(self, api_key: str, nodes: list[tuple[str, int]], alias: str = "newsdesk",
                 timeout: float = 2.0):
        import typesense
        self.alias, self.nodes, self.api_key = alias, nodes, api_key
        self.hosts = ",".join(f"{h}:{p}" for h, p in nodes)
        def client(ns):
            return typesense.Client({
                "api_key": api_key, "connection_timeout_seconds": timeout, "num_retries": 3,
                "retry_interval_seconds": 0.1, "healthcheck_interval_seconds": 1,
                "nodes": [{"host": h, "port": p, "protocol": "http"} for h, p in ns]})
        self.client = client(nodes)
        self.per_node = [client([n]) for n in nodes]
        self._info: tuple[str, float, dict] | None = None

    # -- plumbing --------------------------------------------------------------------

    def _call(self, what: str, fn, *args, **kwargs):
        """Run a client call; cluster trouble becomes IndexUnavailable with a message."""
        from typesense import exceptions as te
        try:
            return fn(*args, **kwargs)
        except te.ObjectNotFound as exc:
            raise IndexUnavailable(f"no index yet on the Typesense cluster {self.hosts}: "
                                   f"run `newsdesk index` first ({exc})") from exc
        except (te.TypesenseClientError, OSError) as exc:
            raise IndexUnavailable(f"the Typesense cluster {self.hosts} cannot {what}: "
                                   f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # requests' connection errors and the like
            if type(exc).__module__.startswith(("requests", "urllib3")):
                raise IndexUnavailable(f"the Typesense cluster {self.hosts} is unreachable "
                                       f"({what}): {exc}") from exc
            raise

    def _multi(self, searches: list[dict]) -> list[dict]:
        if not searches:
            return []
        out = []
        for i in range(0, len(searches), MULTI):
            out += self._call("search", self.client.multi_search.perform,
                              {"searches": [{"collection": self.alias, "q": "*", "query_by": "title_text",
                                             **s} for s in searches[i:i + MULTI]]}, {})["results"]
        for r in out:
            if "error" in r:
                if r.get("code") == 404:
                    raise IndexUnavailable(f"no index yet on the Typesense cluster {self.hosts}: "
                                           "run `newsdesk index` first")
                raise IndexUnavailable(f"Typesense cluster {self.hosts} refused a search: {r['error']}")
        return out

    def _collection(self) -> str | None:
        """The collection the alias names now (None when there is none)."""
        from typesense import exceptions as te
        try:
            return self._call("read aliases", self.client.aliases[self.alias].retrieve)["collection_name"]
        except IndexUnavailable as exc:
            if isinstance(exc.__cause__, te.ObjectNotFound):
                return None
            raise

    def _all(self, filter_by: str, fields: str, sort: str | None = None, limit: int | None = None) -> list[dict]:
        """Every document matching ``filter_by`` (at most ``limit``), pages in one batch."""
        first = self._multi([self._page(filter_by, fields, sort, 1)])[0]
        docs = [h["document"] for h in first["hits"]]
        total = first["found"] if limit is None else min(first["found"], limit)
        pages = range(2, (total + PAGE - 1) // PAGE + 1)
        for r in self._multi([self._page(filter_by, fields, sort, p) for p in pages]):
            docs += [h["document"] for h in r["hits"]]
        return docs[:total]

    @staticmethod
    def _page(filter_by, fields, sort, page, per_page=PAGE) -> dict:
        s = {"filter_by": filter_by, "include_fields": fields, "per_page": per_page, "page": page}
        if sort:
            s["sort_by"] = sort
        return {k: v for k, v in s.items() if v != ""}

    # -- writing ---------------------------------------------------------------------

    def build(self, articles: Iterable[Article], *, procs: int | None = None) -> WriteReport:
        """A new collection, filled, replicated, then the alias swapped to it and the old
        collection dropped: searches see the old one until the new one is complete."""
        old = self._collection()
        name = f"{self.alias}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6:06d}"
        self._call("create a collection", self.client.collections.create, schema(name))
        try:
            added = self._import(name, articles, time.time_ns() // 1000)
            self._replicated(name, added)
            self._call("swap the alias", self.client.aliases.upsert, self.alias,
                       {"collection_name": name})
            self._aliased(name)
        except BaseException:
            self._call("drop a failed build", self.client.collections[name].delete)
            raise
        if old and old != name:
            self._call("drop the old collection", self.client.collections[old].delete)
        self._info = None
        return WriteReport(generation=name, added=added, rebuilt=True)

    def _import(self, collection: str, articles: Iterable[Article], seq0: int) -> int:
        count, batch = 0, []

        def flush():
            for attempt in range(IMPORT_TRIES):
                try:
                    result = self._call("index documents",
                                        self.client.collections[collection].documents.import_,
                                        batch, {"action": "upsert"})
                    break
                except IndexUnavailable as exc:
                    # a node of a replicated cluster now and then answers an import with an
                    # empty body (the client's "Invalid response"); upserts are idempotent,
                    # so the same batch is sent again
                    if attempt + 1 == IMPORT_TRIES or "Invalid response" not in str(exc):
                        raise
                    time.sleep(0.5 * (attempt + 1))
            failed = [r for r in result if not r.get("success")]
            if failed:
                raise IndexUnavailable(f"Typesense refused {len(failed)} documents: {failed[0]}")
            batch.clear()

        for article in articles:
            batch.append(to_document(article, seq0 + count))
            count += 1
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        return count

    def _replicated(self, collection: str, expected: int, wait: float = 30.0) -> None:
        """Until every reachable node holds ``expected`` documents (followers apply the
        Raft log a little after the leader acknowledges)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            counts = [_on_node(lambda: c.collections[collection].retrieve()["num_documents"], 0)
                      for c in self.per_node]
            counts = [n for n in counts if n is not _DOWN]   # a node that is down catches up later
            if counts and all(n == expected for n in counts):
                return
            time.sleep(0.05)

    def _aliased(self, collection: str, wait: float = 30.0) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            seen = [_on_node(lambda: c.aliases[self.alias].retrieve()["collection_name"], None)
                    for c in self.per_node]
            seen = [s for s in seen if s is not _DOWN]
            if seen and all(s == collection for s in seen):
                return
            time.sleep(0.05)

    def _current(self, collection: str) -> bool:
        """Whether ``collection`` stores terms and values as this code reads them (one
        built before stories or before ENCODING is rebuilt by ``update``)."""
        info = self._call("read the schema", self.client.collections[collection].retrieve)
        fields = {f["name"]: f for f in info.get("fields", [])}
        return "encoding" in fields and bool(fields.get("story", {}).get("facet"))

    def indexed_hashes(self, collection: str) -> dict[str, str]:
        raw = self._call("export", self.client.collections[collection].documents.export,
                         {"include_fields": "id,content_hash"})
        return {d["id"]: d["content_hash"] for d in map(json.loads, raw.splitlines()) if d}

    def update(self, hashes: Mapping[str, str],
               fetch: Callable[[Iterable[str]], Iterable[Article]]) -> WriteReport:
        """Upsert new and changed articles (by content hash), delete the gone ones."""
        name = self._collection()
        if name is None or not self._current(name):  # none, or made by an older schema
            return self.build(fetch(list(hashes)))
        have = self.indexed_hashes(name)
        new = [i for i in hashes if i not in have]
        changed = [i for i in hashes if i in have and have[i] != hashes[i]]
        gone = [i for i in have if i not in hashes]
        if new or changed:
            self._import(name, fetch(new + changed), time.time_ns() // 1000)
        docs = self.client.collections[name].documents
        for i in range(0, len(gone), BATCH):
            self._call("delete documents", docs.delete,
                       {"filter_by": tq.ids_filter(gone[i:i + BATCH])})
        self._replicated(name, len(hashes))
        self._info = None
        return WriteReport(generation=name, added=len(new), updated=len(changed), deleted=len(gone))

    # -- searching -------------------------------------------------------------------

    def search(self, request: EngineQuery) -> EngineResult:
        r = request
        searching = r.query is not None
        tree = tq.shape(r.query) if searching else None
        if searching and tree is None:
            raise BadRequest(f"the query {r.text!r} has no words to search for")
        ids = self._phrase_ids(tq.phrases(tree)) if searching else {}
        strict = tq.render(tree, ids) if searching else ""
        terms = tq.positive_terms(tree) if searching else []
        counts, fields = rank.query_words(terms)
        words = len(counts)
        relaxed = bool(searching and words > 1)
        base = strict
        if relaxed:
            text = [(f, t) for f, t in terms if f in tq.TEXT_FIELDS]
            base = tq._join("||", [tq.render(tq.Term(f, t), ids) for f, t in dict.fromkeys(text)])
            other = [tq.render(tq.Term(f, t), ids) for f, t in terms if f not in tq.TEXT_FIELDS]
            if other:
                base = tq.both(base, tq._join("||", other))
            base = tq.both(base, *(tq.render(x, ids, negate=True) for x in tq.excluded(tree)))
        chosen = {n: tq.one_of(FIELD[n], [tq.exact(x) for x in v]) for n, v in r.filters.items() if v}
        dates = ""
        if r.date_from or r.date_to:
            dates = tq.both("dated:=true",
                            f"published:>={math.ceil(r.date_from.timestamp())}" if r.date_from else "",
                            f"published:<={int(r.date_to.timestamp())}" if r.date_to else "")
        everything = tq.both(base, dates, *chosen.values())
        limit = ALL_VALUES
        counted = chosen if r.facet_limit != 0 else {}   # facet_limit 0: a count, no facets
        searches = [{"filter_by": everything, "per_page": 0, "max_facet_values": limit,
                     "facet_by": ",".join(FIELD[n] for n in FACETS if n not in chosen)
                     if r.facet_limit != 0 else ""}]
        for n in counted:
            searches.append({"filter_by": tq.both(base, dates, *(f for o, f in chosen.items() if o != n)),
                             "per_page": 0, "facet_by": FIELD[n], "max_facet_values": limit})
        if relaxed:
            searches.append({"filter_by": tq.both(strict, dates, *chosen.values()), "per_page": 0})
        if r.timeline:
            searches.append({"filter_by": tq.both(base, *chosen.values()), "per_page": 0,
                             "facet_by": "day", "max_facet_values": limit})
        spelling = bool(searching and r.text)
        if spelling:  # did-you-mean looks at queries whose words together are rare
            searches.append({"filter_by": strict, "per_page": 0})
        found = self._multi([{k: v for k, v in s.items() if v != ""} for s in searches])
        total = found[0]["found"]
        facet_counts = {n: _facet(found[0], FIELD[n], r.facet_limit) for n in FACETS}
        for i, n in enumerate(counted, 1):
            facet_counts[n] = _facet(found[i], FIELD[n], r.facet_limit)
        at = 1 + len(counted)
        all_words = None
        if searching:
            all_words = found[at]["found"] if relaxed else total
            at += relaxed
        histogram = _timeline(_facet(found[at], "day", None)) if r.timeline else DayCounts()
        at += bool(r.timeline)
        suggestion = self._suggest(r.text) if spelling and found[at]["found"] < RARE else None
        relaxed = relaxed and all_words < total
        long_query = words > querying.RANKING.short
        page = []
        need = r.offset + r.limit
        strict_all = tq.both(strict, dates, *chosen.values())
        stories, copies, listed, hidden = None, {}, total, ""
        if r.collapse and total:
            stories, copies, hidden = self._stories(everything, strict_all if relaxed else None, total)
            listed = stories
        if total and r.offset < listed and r.limit > 0:
            everything = tq.both(everything, hidden)
            strict_all = tq.both(strict_all, hidden)
            rest = tq.both(everything, tq.render(tree, ids, negate=True)) if relaxed else ""
            if searching and r.sort == "relevance":
                weights = rank.saturated(counts, querying.RANKING.k3)
                ranker = self._ranker(weights, fields, words >= querying.RANKING.feedback_from)
                if long_query or not relaxed:
                    page = ranker(everything, need)
                else:
                    page = ranker(strict_all, need)
                    if len(page) < need:
                        page += ranker(rest, need - len(page))
            else:
                sort = "published:desc,seq:desc" if r.sort != "oldest" else "published:asc,seq:asc"
                if relaxed:
                    page = [(d, None) for d in self._all(strict_all, "id", sort, need)]
                    if len(page) < need:
                        page += [(d, None) for d in self._all(rest, "id", sort, need - len(page))]
                else:
                    page = [(d, None) for d in self._all(everything, "id", sort, need)]
            page = page[r.offset:need]
        body_terms = {t for f, t in terms if f == "body"}
        hits = self._hits([(d["id"], s) for d, s in page], body_terms)
        if r.collapse:
            self._with_copies(hits, copies)
        return EngineResult(total, hits, facet_counts, suggestion, relaxed, histogram, all_words,
                            relaxed and (not long_query or r.sort != "relevance"), stories)

    def _stories(self, filter_by: str, strict: str | None, total: int) -> tuple[int, dict, str]:
        """Collapsing the ``total`` matches of ``filter_by``: how many stories they make,
        each representative's copies (ids, earliest first) and the filter that hides the
        copies.  The representative is the earliest (published, seq) match, of those
        matching ``strict`` (every word) when given, as the embedded engine chooses.

        Only stories with two or more matches need reading: a ``story`` facet over the
        matches (most matches first, so it is asked again, larger, only while its last
        value still has two) names them, ``stories`` is ``total`` less their extra
        matches, and just their documents are fetched (before, every match's id, story
        and date was read: 40 pages for 10,000 matches)."""
        want = STORY_VALUES
        while True:
            found = self._multi([{"filter_by": filter_by, "per_page": 0, "facet_by": "story",
                                  "max_facet_values": want}])[0]
            counts = next((c["counts"] for c in found.get("facet_counts", [])
                           if c["field_name"] == "story"), [])
            if len(counts) < want or counts[-1]["count"] < 2:
                break
            want *= 4
        shared = [c["value"] for c in counts if c["count"] >= 2]   # hex, as stored
        stories = total - sum(c["count"] - 1 for c in counts if c["count"] >= 2)
        if not shared:
            return stories, {}, ""
        in_shared = tq.one_of("story", shared)
        docs = self._all(tq.both(filter_by, in_shared), "id,story,published,seq")
        every = ({d["id"] for d in self._all(tq.both(strict, in_shared), "id")}
                 if strict is not None else None)
        groups: dict[str, list[dict]] = {}
        for d in docs:
            groups.setdefault(d["story"], []).append(d)
        copies, hidden = {}, []
        for group in groups.values():
            group.sort(key=lambda d: (d["published"], d["seq"]))
            first = min(group, key=lambda d: every is not None and d["id"] not in every)
            copies[first["id"]] = [d["id"] for d in group if d is not first]
            hidden += copies[first["id"]]
        return stories, copies, tq.ids_filter(hidden, negate=True)

    def _with_copies(self, hits: list[EngineHit], copies: dict) -> None:
        """Each collapsed hit's versions and copies (at most ``MAX_COPIES`` listed)."""
        want = [c for h in hits for c in copies.get(h.id, [])[:querying.MAX_COPIES]]
        found = {d["id"]: d for d in self._all(tq.ids_filter(want),
                                               "id,title,url,source,published,dated")} if want else {}
        for hit in hits:
            others = copies.get(hit.id, [])
            hit.versions = len(others) + 1
            hit.copies = [{"id": i, "title": found[i].get("title", ""), "url": found[i].get("url", ""),
                           "source": tq.unexact(found[i].get("source", "")),
                           "published": (datetime.fromtimestamp(found[i]["published"], timezone.utc)
                                         if found[i].get("dated") else None)}
                          for i in others[:querying.MAX_COPIES] if i in found]

    def _suggest(self, text: str) -> str | None:
        """Did-you-mean with the embedded rule: each word's article count from the body
        stems, candidates from a typo-tolerant search of the titles' words (two edits;
        the distinct words its hits matched), ranked by edit distance, then by how many
        titles hold them, as the embedded Speller ranks."""
        known: dict[str, int | None] = {}

        def count(words: Iterable[str]) -> None:
            todo = [w for w in dict.fromkeys(words) if w not in known]
            stems = {w: analyzed for w in todo if (analyzed := tq.analyze(w))}
            known.update({w: None for w in todo if w not in stems})
            pairs = [(w, s) for w, ss in stems.items() for s in dict.fromkeys(ss)]
            found = self._multi([{"per_page": 0, "filter_by": tq.one_of("body_terms", [tq.term_key(s)])}
                                 for _, s in pairs])
            for (w, _), r in zip(pairs, found):
                known[w] = max(known.get(w) or 0, r["found"])

        def correct(word: str) -> str | None:
            typo = {"q": word, "query_by": "spell_words", "num_typos": 2, "prefix": "false",
                    "min_len_1typo": 3, "min_len_2typo": 5, "typo_tokens_threshold": PAGE,
                    "drop_tokens_threshold": 0, "include_fields": "id", "per_page": PAGE,
                    "highlight_fields": "spell_words"}
            try:
                hits = self._multi([typo])[0]["hits"]
            except IndexUnavailable:  # a collection built before spell_words: no suggestion
                return None
            near = {t.lower() for h in hits for hl in h.get("highlights", [])
                    for group in hl.get("matched_tokens", []) for t in
                    (group if isinstance(group, list) else [group])}
            near = sorted(w for w in near if w != word and w.isalpha())
            if not near:
                return None
            titles = self._multi([{"per_page": 0, "filter_by": tq.one_of("spell_words", [w])}
                                  for w in near])
            best = closest(word, [(w, r["found"]) for w, r in zip(near, titles)])
            if best:
                count([best])
            return best

        count(query_words(text))
        return corrected(text, lambda w: known[w] if w in known else
                         (count([w]) or known[w]), correct)

    def _phrase_ids(self, found: list) -> dict:
        """Each phrase -> the ids of the live articles holding it in its field."""
        out = {}
        for ph in dict.fromkeys(found):
            params = {"q": '"' + " ".join(map(tq.term_key, ph.tokens)) + '"',
                      "query_by": f"{ph.field}_text", **SEARCH}
            first = self._multi([{**params, "include_fields": "id", "per_page": PAGE, "page": 1}])[0]
            ids = [h["document"]["id"] for h in first["hits"]]
            more = range(2, (first["found"] + PAGE - 1) // PAGE + 1)
            for r in self._multi([{**params, "include_fields": "id", "per_page": PAGE, "page": p}
                                  for p in more]):
                ids += [h["document"]["id"] for h in r["hits"]]
            out[ph] = ids
        return out

    def _stats(self, words: Iterable[str], fields: dict) -> tuple[dict, int, dict]:
        """Document frequencies of ``words`` (in their fields), live docs, average lengths."""
        words = sorted(words)
        searches = [{"per_page": 0, "facet_by": "title_len,body_len", "max_facet_values": 1}]
        for w in words:
            searches.append({"per_page": 0, "filter_by": tq._join("||", [
                tq.one_of(f"{f}_terms", [tq.term_key(w)]) for f in fields.get(w, tq.TEXT_FIELDS)])})
        found = self._multi(searches)
        stats = {c["field_name"]: c.get("stats", {}) for c in found[0].get("facet_counts", [])}
        average = {f: float(stats.get(f"{f}_len", {}).get("avg", 1) or 1) for f in tq.TEXT_FIELDS}
        return {w: r["found"] for w, r in zip(words, found[1:])}, found[0]["found"], average

    def _candidates(self, filter_by: str, weights: dict, fields: dict) -> list[rank.Doc]:
        count = self._multi([{"filter_by": filter_by, "per_page": 0}])[0]["found"] if filter_by else None
        want = "id,seq,title_text,body_text"
        if count is not None and count <= EXACT:
            return [rank.Doc(d) for d in self._all(filter_by, want)]
        seen: dict[str, rank.Doc] = {}
        searches = [{"q": tq.term_key(w), "query_by": ",".join(f"{f}_text" for f in fields.get(w, tq.TEXT_FIELDS)),
                     **SEARCH, "filter_by": filter_by, "include_fields": want, "per_page": PER_WORD,
                     "sort_by": "_text_match:desc,body_len:asc"} for w in sorted(weights)[:16]]
        for r in self._multi([{k: v for k, v in s.items() if v != ""} for s in searches]):
            for h in r["hits"]:
                if h["document"]["id"] not in seen:
                    seen[h["document"]["id"]] = rank.Doc(h["document"])
        return list(seen.values())

    def _ranker(self, weights, fields, feedback: bool):
        r = querying.RANKING
        df, n_docs, average = self._stats(weights, fields)

        def ranked(filter_by: str, need: int) -> list[tuple[dict, float]]:
            docs = self._candidates(filter_by, weights, fields)
            values = rank.scores(docs, weights, fields, df, n_docs, average, r)
            if feedback and len(docs) > 1:
                best = [(d, s) for d, s in rank.top(docs, values, r.feedback_docs) if s > 0]
                chosen = self._feedback(best, weights, n_docs, r) if best else []
                if chosen:
                    mixed = rank.mix(weights, chosen, r)
                    more, _, _ = self._stats([w for w in mixed if w not in df], {})
                    df.update(more)
                    # as embedded: the expanded query re-ranks the first pass's best only
                    docs = [d for d, _ in rank.top(docs, values, max(need, r.feedback_rerank))]
                    values = rank.scores(docs, mixed, {**{t: tq.TEXT_FIELDS for t in mixed}, **fields},
                                         df, n_docs, average, r)
            return [({"id": d.id}, s) for d, s in rank.top(docs, values, need)]
        return ranked

    def _feedback(self, best, weights: dict, n_docs: int, r) -> list[tuple[str, float]]:
        """RM3's expansion words as querying._feedback chooses them: of the model's
        3 x ``feedback_terms`` heaviest words, those typed or in at most
        ``feedback_max_df`` of the articles' bodies, the first ``feedback_terms``."""
        texts = self._texts([d.id for d, _ in best], r.feedback_chars)
        model = rank.feedback_model([(texts[d.id], s) for d, s in best], r, 3 * r.feedback_terms)
        check = [w for w, _ in model if w not in weights]
        body_df, _, _ = self._stats(check, {w: ("body",) for w in check})
        common = r.feedback_max_df * n_docs
        return [(w, v) for w, v in model
                if w in weights or body_df.get(w, 0) <= common][:r.feedback_terms]

    def _texts(self, ids: list[str], chars: int) -> dict[str, str]:
        docs = self._all(tq.ids_filter(ids), "id,title,body")
        return {d["id"]: f"{d.get('title', '')} {d.get('body', '')[:chars]}" for d in docs}

    def _hits(self, page: list[tuple[str, float | None]], terms: set[str]) -> list[EngineHit]:
        if not page:
            return []
        docs = {d["id"]: d for d in self._all(tq.ids_filter([i for i, _ in page]),
                                             "id,title,body,url,source,published,dated,countries,officials_json,story")}
        return [_hit(docs[i], s, terms) for i, s in page if i in docs]

    def article(self, article_id: str) -> EngineHit | None:
        hits = self._hits([(article_id, None)], set())
        return hits[0] if hits else None

    def more_like(self, article_id: str, top: int = 5) -> list[EngineHit]:
        """The article's 12 most telling body words (tf-idf), OR-ed, ranked by BM25F."""
        docs = self._all(tq.ids_filter([article_id]), "id,body_text,story")
        if not docs:
            return []
        own = tq.unexact(docs[0]["story"]) if docs[0].get("story") else article_id
        tf = rank.terms(docs[0].get("body_text", ""))
        df, n_docs, _ = self._stats(tf, {})
        key = sorted(tf, key=lambda w: (-tf[w] * math_log(n_docs, df.get(w, 1)), w))[:12]
        if not key:
            return []
        weights = {w: 1.0 for w in key}
        fields = {w: ("body",) for w in key}
        ranked = self._ranker(weights, fields, False)
        filter_by = tq.both(tq.one_of("body_terms", map(tq.term_key, key)),
                            tq.ids_filter([article_id], negate=True),
                            tq.ids_filter([own], negate=True, field="story"))  # never a copy of it
        hits, seen = [], set()
        for hit in self._hits([(d["id"], s) for d, s in ranked(filter_by, top * 4)], set()):
            if hit.story not in seen:      # one article per story
                seen.add(hit.story)
                hits.append(hit)
        return hits[:top]

    def stats(self) -> dict:
        name = self._collection()
        if name is None:
            return {"generation": None, "built": None, "size_bytes": 0, "documents": 0}
        info = self._call("describe the collection", self.client.collections[name].retrieve)
        found = self._multi([{"per_page": 0, "max_facet_values": ALL_VALUES,
                              "facet_by": ",".join(FIELD[n] for n in FACETS)}])[0]
        built = datetime.fromtimestamp(info["created_at"], timezone.utc)
        return {"generation": name, "built": built.isoformat(), "size_bytes": 0,
                "age_seconds": round((datetime.now(timezone.utc) - built).total_seconds()),
                "documents": info["num_documents"],
                "facets": {n: len(_facet(found, FIELD[n], None)) for n in FACETS}}

    def official_info(self, name: str) -> tuple[str, str]:
        """The (role, country) an official is most often indexed with (cached 30 s)."""
        now = time.monotonic()
        if self._info is None or now - self._info[1] > 30:
            found = self._multi([{"per_page": 0, "facet_by": "official_info",
                                  "max_facet_values": ALL_VALUES}])[0]
            best: dict[str, tuple[int, tuple[str, str]]] = {}
            for value, n in sorted(_facet(found, "official_info", None), key=lambda vn: vn[0]):
                who, role, country = (value.split("|") + ["", ""])[:3]
                if n > best.get(who, (0, None))[0]:
                    best[who] = (n, (role, country))
            self._info = ("", now, {k: v for k, (_, v) in best.items()})
        return self._info[2].get(name, ("", ""))

    def close(self) -> None:
        self._info = None


_DOWN = object()


def _on_node(call, missing):
    """``call()`` on one node: ``missing`` when it lacks the object yet, _DOWN when the
    node does not answer (it is not waited for)."""
    from typesense import exceptions as te
    try:
        return call()
    except te.ObjectNotFound:
        return missing
    except Exception:  # noqa: BLE001 - connection refused, timeouts, a node without a leader
        return _DOWN


def math_log(n_docs: int, df: int) -> float:
    import math
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def _facet(result: dict, field: str, limit: int | None) -> list[tuple[str, int]]:
    """One facet's (value, count), decoded, in :func:`facet_order` (the embedded one)."""
    for c in result.get("facet_counts", []):
        if c["field_name"] == field:
            decode = (lambda v: v) if field == "day" else tq.unexact
            return facet_order(((decode(v["value"]), v["count"]) for v in c["counts"]
                                if v["value"] != ""), limit)
    return []


def _timeline(days: list[tuple[str, int]]) -> DayCounts:
    """Matches per day, for the days holding any (as embedded)."""
    return DayCounts.from_pairs(days)


def _hit(doc: dict, score: float | None, terms: set[str]) -> EngineHit:
    body = doc.get("body", "")
    text = snippet(body, terms) if terms else ""
    if not text:
        import html
        cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0] if len(body) > SNIPPET_CHARS else body
        text = html.escape(cut, quote=False) + (" …" if len(body) > SNIPPET_CHARS else "")
    published = (datetime.fromtimestamp(doc["published"], timezone.utc)
                 if doc.get("dated") else None)
    return EngineHit(id=doc["id"], title=doc.get("title", ""), url=doc.get("url", ""),
                     source=tq.unexact(doc.get("source", "")), published=published,
                     countries=[tq.unexact(c) for c in doc.get("countries", [])],
                     officials=json.loads(doc.get("officials_json") or "[]"),
                     score=round(score, 3) if score is not None else None, snippet=text,
                     story=tq.unexact(doc["story"]) if doc.get("story") else doc["id"])


def open_typesense(spec: str, data) -> TypesenseBackend:
    """``--engine typesense://KEY@host:port[,host:port...][/alias]``."""
    try:
        import typesense  # noqa: F401
    except ImportError as exc:
        raise BadInput("the typesense engine needs the Typesense client: "
                       "pip install 'newsdesk[cluster]'") from exc
    key, nodes, alias = parse_spec(spec)
    return TypesenseBackend(key, nodes, alias)
