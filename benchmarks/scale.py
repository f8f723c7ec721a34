"""Scale benchmark: newsdesk against SQLite FTS5 on synthetic corpora of 100k, 300k (1M) articles.

Figures, not assertions (the tests never run this).  Reuters-21578 has 18,000
stories; this asks what happens at 5x to 55x that, in one run, side by side.

**The corpus** (``generate``, documented and seeded).  Every Reuters-21578 story
(Distribution 1.0, ../shared/data/reuters21578) is imported once through the CLI
(``newsdesk import reuters``: the real parser and the real entity tagger) and
exported (``newsdesk export``) into the work dir; that export is the *pool*:
each story's title, its body split into sentences (dateline removed), its
countries, officials and country mention counts.  Synthetic article ``i`` is
drawn with its own ``random.Random("newsdesk-scale:<seed>:<i>")``, so it does
not depend on the size asked for (the 100k corpus is the first 100k articles of
the 300k one) and the same size and seed give byte-identical files:

- a primary story gives the title and its sentences; 5-25 body sentences in all
  (uniform), the rest in runs of 2-6 consecutive sentences from other stories
  drawn at random; paragraphs of up to 3 sentences;
- the article carries the countries (in order of first appearance, with summed
  mention counts) and officials (by name) of every story it drew from, and
  their ids as ``source_tags.drawn_from``;
- ``published`` uniform over 1987-01-01 .. 2024-12-31 (to the second, UTC);
  ``source`` one of six, weighted (Reuters 40%, five invented wires);
  ``id`` ``synth-<seed>-<i>``, a url under the source's example.org domain;
- a vocabulary that grows with size: each sentence gets, with probability 0.6,
  one synthetic word at a random position (one title in ten gets one too), of
  Zipf-Mandelbrot rank ``r`` (P(R >= k) = ((k + 50) / 51) ** -0.35), spelled as
  a unique string of 3+ syllables from a seeded syllable table; every third
  rank is a capitalized name.  About 0.11M such words appear in 100k articles,
  0.25M in 300k, 0.6M in 1M (Heaps-like growth, exponent ~0.7), most of them once.

The corpus is written as article JSONL (../shared/CONTRACTS.md) in parts of
20,000 lines, with a MANIFEST.json (generator version, seed, size, the pool's
sha256, each part's sha256), and cached in the work dir for the next run.

**The measurements**, per size, in one run:
1. ``newsdesk import jsonl <corpus dir>`` then ``newsdesk index`` into a fresh
   data dir: wall time, articles/s, peak RSS of each command's process tree
   (psutil, polled every 0.1 s; forked workers' shared pages count once per
   process); index size (``stats --json``) and store size;
2. the FTS5 baseline of benchmarks/_baseline.py (``build_fts(..., full=True)``:
   porter, title + body, bm25(2.5, 1.0), country/official/source/date side
   tables) built from the same store in a child process, timed and watched the
   same way, and its size;
3. cold first search in a new process: ``newsdesk search oil --json`` wall time,
   against ``scale.py _fts-query`` (a new Python process opening the FTS5 file
   and answering the same request, with every facet);
4. a warm ``newsdesk serve`` on 127.0.0.1 (a free port): time from launch to the
   first answered ``/api/search?q=oil``, then per query class ``--warmup`` (10)
   untimed and ``--passes`` (1) timed passes of sequential GETs of
   ``/api/search`` (one keep-alive connection; every facet, the timeline,
   snippets), p50/p95/p99 of the client-side wall time; RSS after the first
   query and after all classes.  The FTS5 side: one child process
   (``_fts-worker``) that opens the file, answers the first request, then runs
   the same requests in the same order through ``Fts.search`` (in-process
   SQL: no HTTP, no JSON), timed the same way, with its own RSS.

Query classes (the same requests on both sides):
- ``plain``: the 100 lines of benchmarks/queries_core.txt (with their filters);
- ``faceted``: each plus ``country=`` its most frequent country (asked of
  FTS5 beforehand, untimed);
- ``filtered``: each plus a 5-year ``from``/``to`` range and one ``source``;
- ``browse``: no words, newest first: 20 requests, alone or with a country,
  a source or a date range;
- ``broad``: ``said`` (in most articles), pages 1-5, 20 requests.

Each size's table (ratios newsdesk/FTS5) is printed, and all of them go to
benchmarks/results/scale.json and scale.md, with a chart (serve RSS, p95 per
class, index time against size) in docs/scale.png.  Data stays in the work dir
(``--work-dir``, default /tmp/newsdesk-scale): corpora are kept for the next run,
data dirs removed after each size unless ``--keep``.

Usage:
  .venv/bin/python benchmarks/scale.py [--sizes 100000,300000] [--seed 1]
      [--work-dir DIR] [--warmup 10] [--passes 1] [--keep]
  .venv/bin/python benchmarks/scale.py generate --size 100000 [--seed 1] --out DIR
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "scale.png"
DEFAULT_WORK = Path("/tmp/newsdesk-scale")
DEFAULT_SIZES = (100_000, 300_000)
HOST = "127.0.0.1"
FIRST_QUERY = "oil"
CLASSES = ("plain", "faceted", "filtered", "browse", "broad")
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

# -- the generator -----------------------------------------------------------

GENERATOR = "scale-2"   # change when the output for a (size, seed) changes
PART = 20_000
SOURCES = (("Reuters", 40), ("Northbridge Wire", 20), ("Harbor Gazette", 15),
           ("Continental Post", 10), ("Meridian Daily", 10), ("Atlas Newsroom", 5))
SENTENCES = (5, 25)
RUN = (2, 6)
WORD_RATE = 0.6          # per sentence
TITLE_WORD_RATE = 0.1    # per title
ZIPF_ALPHA, ZIPF_SHIFT, MAX_RANK = 0.35, 50, 10**10
CONSONANTS, VOWELS = "bdfgklmnprstvz", "aeiou"
EPOCH_FROM = int(datetime(1987, 1, 1, tzinfo=timezone.utc).timestamp())
EPOCH_TO = int(datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp())

_DATELINE = re.compile(r"^[A-Z][A-Za-z0-9 .,'&/()-]{0,60}?,\s+(?:Jan|Feb|March|April|May|June|July"
                       r"|Aug|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\s+-\s+")
_SPLIT = re.compile(r"(?<=[.!?])[\"')]?\s+(?=[\"'(]?[A-Z0-9])")
_ABBREV = {"u.s", "u.k", "u.n", "e.c", "mr", "mrs", "ms", "dr", "st", "inc", "co", "corp",
           "ltd", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec",
           "no", "vs", "gen", "lt", "col", "sen", "rep", "gov", "jr", "sr", "bros", "dept",
           "messrs", "prof", "pty", "plc", "nos", "fig", "approx", "est", "ave"}


def split_sentences(body: str) -> list[str]:
    """A Reuters body as sentences: the dateline dropped, abbreviations and initials kept
    inside their sentence, fragments under 4 words (table debris) dropped."""
    out: list[str] = []
    for para in body.split("\n\n"):
        para = _DATELINE.sub("", " ".join(para.split()))
        pieces: list[str] = []
        for piece in _SPLIT.split(para):
            if pieces:
                last = pieces[-1].rsplit(" ", 1)[-1].rstrip(".").lower()
                if last in _ABBREV or re.fullmatch(r"[a-z]|([a-z]\.)+[a-z]?", last):
                    pieces[-1] += " " + piece
                    continue
            pieces.append(piece)
        out.extend(p.strip() for p in pieces if len(p.split()) >= 4)
    return out


class Pool:
    """The Reuters stories a corpus is recombined from (see the module docstring)."""

    def __init__(self, path: Path):
        data = path.read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        stories = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        stories.sort(key=lambda s: (int(s["id"].rsplit("-", 1)[-1]) if s["id"][-1:].isdigit() else 0,
                                    s["id"]))
        self.stories = []
        for s in stories:
            sentences = split_sentences(s.get("body") or "")
            if sentences:
                self.stories.append({
                    "id": s["id"], "title": " ".join((s.get("title") or "").split()),
                    "sentences": sentences, "countries": s.get("countries") or [],
                    "officials": s.get("officials") or [],
                    "mentions": s.get("country_mentions") or {}})
        self.titled = [i for i, s in enumerate(self.stories) if s["title"]]


def syllables(seed: int) -> list[str]:
    table = [c + v for c in CONSONANTS for v in VOWELS]
    __import__("random").Random(f"newsdesk-scale-vocab:{seed}").shuffle(table)
    return table


def word(rank: int, table: list[str]) -> str:
    """The synthetic word of a rank: a unique string of 3 or more syllables.

    Ranks below 70**3 get 3 syllables, below 70**4 four, and so on; within a
    length the rank is scattered by a multiplication modulo 70**length (a
    bijection: 1,000,003 shares no factor with 70), so neighbouring ranks do
    not share their first syllables.
    """
    base, length = len(table), 3
    while rank >= base ** length:
        length += 1
    n, parts = rank * 1_000_003 % base ** length, []
    for _ in range(length):
        n, digit = divmod(n, base)
        parts.append(table[digit])
    text = "".join(parts)
    return text.capitalize() if rank % 3 == 0 else text


def zipf_rank(rng) -> int:
    while True:
        u = 1.0 - rng.random()   # (0, 1]
        rank = int((1 + ZIPF_SHIFT) * u ** (-1 / ZIPF_ALPHA) - ZIPF_SHIFT)
        if 1 <= rank < MAX_RANK:
            return rank


def _insert(rng, text: str, token: str) -> str:
    words = text.split(" ")
    words.insert(rng.randint(1, len(words)), token)
    return " ".join(words)


def synthetic_article(pool: Pool, table: list[str], seed: int, i: int) -> dict:
    import random
    rng = random.Random(f"newsdesk-scale:{seed}:{i}")
    stories = pool.stories
    primary = stories[pool.titled[rng.randrange(len(pool.titled))]]
    want = rng.randint(*SENTENCES)
    runs = [primary["sentences"][:want]]
    used = [primary]
    have = len(runs[0])
    while have < want:
        story = stories[rng.randrange(len(stories))]
        if any(story is u for u in used):
            continue
        k = min(want - have, rng.randint(*RUN), len(story["sentences"]))
        start = rng.randrange(len(story["sentences"]) - k + 1)
        runs.append(story["sentences"][start:start + k])
        used.append(story)
        have += k
    runs = [[_insert(rng, s, word(zipf_rank(rng), table)) if rng.random() < WORD_RATE else s
             for s in run] for run in runs]
    paragraphs = []
    for run in runs:
        while run:
            size = rng.randint(1, 3)
            paragraphs.append(" ".join(run[:size]))
            run = run[size:]
    title = primary["title"]
    if rng.random() < TITLE_WORD_RATE:
        title = _insert(rng, title, word(zipf_rank(rng), table).upper())
    countries: dict[str, int] = {}
    officials: dict[str, dict] = {}
    for story in used:
        for code in story["countries"]:
            countries[code] = countries.get(code, 0) + int(story["mentions"].get(code, 1))
        for official in story["officials"]:
            officials.setdefault(official["name"], official)
    when = datetime.fromtimestamp(EPOCH_FROM + rng.randrange(EPOCH_TO - EPOCH_FROM), timezone.utc)
    source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
    article_id = f"synth-{seed}-{i:07d}"
    domain = source.lower().replace(" ", "-")
    return {
        "id": article_id, "url": f"https://{domain}.example.org/{when:%Y/%m}/{article_id}",
        "source": source, "title": title, "body": "\n\n".join(paragraphs),
        "published": when.isoformat(), "authors": [], "language": "en",
        "countries": list(countries), "officials": list(officials.values()),
        "source_tags": {"drawn_from": list(dict.fromkeys(s["id"] for s in used))},
        "country_mentions": countries,
    }


def generate(pool: Pool, size: int, seed: int, out: Path) -> dict:
    """Write the corpus of ``size`` articles as out/part-NNNNN.jsonl + MANIFEST.json."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl"):
        old.unlink()
    table = syllables(seed)
    parts, total = [], hashlib.sha256()
    started = time.perf_counter()
    countries = officials = 0
    for first in range(0, size, PART):
        path = out / f"part-{first // PART:05d}.jsonl"
        digest = hashlib.sha256()
        with open(path, "wb") as f:
            for i in range(first, min(size, first + PART)):
                article = synthetic_article(pool, table, seed, i)
                countries += len(article["countries"])
                officials += len(article["officials"])
                line = (json.dumps(article, ensure_ascii=False) + "\n").encode("utf-8")
                f.write(line)
                digest.update(line)
                total.update(line)
        parts.append({"file": path.name, "sha256": digest.hexdigest(), "bytes": path.stat().st_size})
    manifest = {"generator": GENERATOR, "size": size, "seed": seed, "pool_sha256": pool.sha256,
                "pool_stories": len(pool.stories), "sha256": total.hexdigest(),
                "bytes": sum(p["bytes"] for p in parts), "parts": parts,
                "countries_per_article": round(countries / size, 2),
                "officials_per_article": round(officials / size, 2),
                "seconds": round(time.perf_counter() - started, 1)}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


# -- running things ----------------------------------------------------------

def newsdesk(data: Path, *args: str) -> list[str]:
    """A newsdesk command on ``data``, run by this interpreter (so the same venv)."""
    return [sys.executable, "-m", "indexer.cli", "--data-dir", str(data), *args]


def myself(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


class Watch:
    """Peak RSS of a process and its descendants, polled every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.1):
        import psutil
        self.proc = psutil.Process(pid)
        self.every, self.peak, self.peak_one = every, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> int:
        import psutil
        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in procs:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            self.peak_one = max(self.peak_one, rss)
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_watched(cmd: list[str], log: Path, ok=(0,)) -> dict:
    """Run ``cmd`` to its end: wall seconds, peak tree RSS, exact max RSS (wait4), output."""
    with open(log, "ab") as err:
        err.write(f"\n$ {' '.join(cmd)}\n".encode())
        err.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        watch = Watch(proc.pid)
        out_chunks = []
        reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
        reader.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        watch.stop()
        reader.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    out = b"".join(out_chunks).decode("utf-8", "replace")
    if proc.returncode not in ok:
        sys.exit(f"scale: {' '.join(cmd[:6])} ... exited {proc.returncode}; see {log}\n{out[-2000:]}")
    return {"seconds": seconds, "peak_rss": watch.peak, "peak_rss_one": watch.peak_one,
            "maxrss": usage.ru_maxrss * 1024, "stdout": out}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def query_string(params: dict[str, list[str]]) -> str:
    return urlencode([(k, v) for k, values in params.items() for v in values])


def pct(values: list[float]) -> dict[str, float]:
    if len(values) == 1:
        values = values * 2
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "mean": statistics.fmean(values),
            "n": len(values)}


# -- the query classes -------------------------------------------------------

def query_classes(fts_path: Path, pool_countries: list[str]) -> dict[str, list[dict]]:
    """The same requests for both sides; the faceted class asks FTS5 (untimed) for each
    query's most frequent country."""
    from _baseline import Fts, load_queries
    queries = [params for _, params in load_queries()]
    fts = Fts(fts_path, full=True)
    sources = [s for s, _ in SOURCES]
    classes: dict[str, list[dict]] = {name: [] for name in CLASSES}
    for n, params in enumerate(queries):
        classes["plain"].append(params)
        got = fts.search(params)
        have = set(params.get("country", []))
        top = [c for c, _ in (fts.facets.get("country", []) if got else []) if c not in have]
        faceted = {k: list(v) for k, v in params.items()}
        faceted["country"] = [*faceted.get("country", []), top[0] if top else "US"]
        classes["faceted"].append(faceted)
        year = 1987 + (n * 7) % 33
        filtered = {k: list(v) for k, v in params.items()}
        filtered.update({"from": [f"{year}-01-01"], "to": [f"{year + 4}-12-31"],
                         "source": [sources[n % len(sources)]]})
        classes["filtered"].append(filtered)
    fts.close()
    for n in range(20):
        browse = {"sort": ["newest"], "page": ["1"], "per_page": ["10"]}
        kind = n % 4
        if kind == 1:
            browse["country"] = [pool_countries[(n // 4) % len(pool_countries)]]
        elif kind == 2:
            browse["source"] = [sources[(n // 4) % len(sources)]]
        elif kind == 3:
            year = 1990 + (n // 4) * 7
            browse.update({"from": [f"{year}-01-01"], "to": [f"{year + 4}-12-31"]})
        classes["browse"].append(browse)
        classes["broad"].append({"q": ["said"], "page": [str(1 + n % 5)], "per_page": ["10"]})
    return classes


def first_request() -> dict[str, list[str]]:
    return {"q": [FIRST_QUERY], "page": ["1"], "per_page": ["10"]}


# -- the FTS5 side, in child processes ---------------------------------------

def _rss_self() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fts_build_main(store: str, out: str) -> None:
    from _baseline import build_fts
    n = build_fts(Path(store), Path(out), full=True)
    print(json.dumps({"articles": n}))


def fts_query_main(path: str, text: str) -> None:
    from _baseline import Fts
    fts = Fts(Path(path), full=True)
    total, hits = fts.search({"q": [text], "page": ["1"], "per_page": ["10"]})
    print(json.dumps({"total": total, "hits": [h[0] for h in hits], "facets": fts.facets,
                      "timeline": fts.timeline}))


def fts_worker_main(path: str, plan_path: str, out_path: str) -> None:
    """Open the FTS5 file, answer the first request (say so on stdout), then run the
    classes as the parent runs them against ``newsdesk serve``."""
    from _baseline import Fts
    fts = Fts(Path(path), full=True)
    plan = json.loads(Path(plan_path).read_text())
    fts.search(plan["first"])
    print("first", flush=True)
    rss_first = _rss_self()
    result = {"classes": {}, "rss_first": rss_first}
    for name, requests in plan["classes"].items():
        for params in requests[:plan["warmup"]]:
            fts.search(params)
        times, totals = [], []
        for _ in range(plan["passes"]):
            for params in requests:
                started = time.perf_counter()
                got = fts.search(params)
                times.append((time.perf_counter() - started) * 1000)
                totals.append(got[0] if got else None)
        result["classes"][name] = {"ms": times, "totals": totals[:len(requests)]}
    result["rss_end"] = _rss_self()
    import resource
    result["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(out_path).write_text(json.dumps(result))
    fts.close()


# -- the newsdesk side -------------------------------------------------------

class Client:
    """One keep-alive connection to 127.0.0.1; reconnects (and retries once) if it drops."""

    def __init__(self, port: int, timeout: float = 600):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def get(self, path: str, retry: bool = True) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            if not retry:
                raise
            return self.get(path, retry=False)

    def close(self) -> None:
        self.conn.close()


def serve_measure(data: Path, classes: dict, warmup: int, passes: int, log: Path) -> dict:
    import psutil
    port = free_port()
    logf = open(log, "ab")  # noqa: SIM115 (open for the server's lifetime)
    started = time.perf_counter()
    proc = subprocess.Popen(newsdesk(data, "serve", "--host", HOST, "--port", str(port)),
                            stdout=logf, stderr=subprocess.STDOUT)
    watch = Watch(proc.pid, every=0.25)
    first_path = "/api/search?" + query_string(first_request())
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"scale: newsdesk serve exited early; see {log}")
            if time.perf_counter() - started > 600:
                sys.exit("scale: newsdesk serve did not answer within 600 s")
            try:
                client = Client(port)
                status, body = client.get(first_path, retry=False)
                if status == 200:
                    break
                sys.exit(f"scale: first query answered {status}: {body[:300]!r}")
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        first_ms = (time.perf_counter() - started) * 1000
        rss_first = psutil.Process(proc.pid).memory_info().rss
        out = {"first_ms": first_ms, "rss_first": rss_first, "classes": {}}
        for name, requests in classes.items():
            paths = ["/api/search?" + query_string(p) for p in requests]
            for path in paths[:warmup]:
                client.get(path)
            times, totals, took, errors = [], [], [], []
            for _ in range(passes):
                for path in paths:
                    t = time.perf_counter()
                    status, body = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    if status != 200:
                        errors.append(f"{status} {path}")
                        totals.append(None)
                        continue
                    answer = json.loads(body)
                    totals.append(answer["total"])
                    took.append(answer["took_ms"])
            out["classes"][name] = {"ms": times, "totals": totals[:len(paths)], "took_ms": took,
                                    "errors": errors}
        out["rss_end"] = psutil.Process(proc.pid).memory_info().rss
        watch.sample()
        out["rss_peak"] = watch.peak
        client.close()
        return out
    finally:
        watch.stop()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        logf.close()


def fts_measure(fts_path: Path, classes: dict, warmup: int, passes: int, work: Path) -> dict:
    plan = work / "fts-plan.json"
    out = work / "fts-result.json"
    plan.write_text(json.dumps({"first": first_request(), "classes": classes,
                                "warmup": warmup, "passes": passes}))
    started = time.perf_counter()
    proc = subprocess.Popen(myself("_fts-worker", str(fts_path), str(plan), str(out)),
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    first_ms = (time.perf_counter() - started) * 1000
    if line.strip() != "first":
        sys.exit(f"scale: the FTS5 worker failed ({line!r})")
    proc.stdout.read()
    if proc.wait() != 0:
        sys.exit("scale: the FTS5 worker failed")
    result = json.loads(out.read_text())
    result["first_ms"] = first_ms
    return result


# -- one size ----------------------------------------------------------------

def ensure_pool(work: Path) -> Path:
    """The Reuters pool: imported and exported once through the CLI, then reused."""
    pool = work / "reuters-pool.jsonl"
    if pool.exists():
        return pool
    data = work / "reuters-data"
    shutil.rmtree(data, ignore_errors=True)
    log = work / "pool.log"
    print(f"pool: newsdesk import reuters {REUTERS} (once; cached as {pool})", flush=True)
    run_watched(newsdesk(data, "import", "reuters", str(REUTERS)), log, ok=(0, 3))
    tmp = pool.with_suffix(".tmp")
    run_watched(newsdesk(data, "export", "-o", str(tmp)), log)
    tmp.rename(pool)
    shutil.rmtree(data, ignore_errors=True)
    return pool


def ensure_corpus(pool: Pool, size: int, seed: int, work: Path) -> tuple[Path, dict]:
    out = work / f"corpus-{size}-seed{seed}"
    manifest_path = out / "MANIFEST.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if (manifest.get("generator") == GENERATOR and manifest.get("pool_sha256") == pool.sha256
                and all((out / p["file"]).exists() and (out / p["file"]).stat().st_size == p["bytes"]
                        for p in manifest["parts"])):
            print(f"corpus {size:,}: cached {out} (sha256 {manifest['sha256'][:16]}…)", flush=True)
            return out, manifest
    manifest = generate(pool, size, seed, out)
    print(f"corpus {size:,}: generated in {manifest['seconds']} s, "
          f"{manifest['bytes'] / 1e6:.0f} MB in {len(manifest['parts'])} parts "
          f"(sha256 {manifest['sha256'][:16]}…)", flush=True)
    return out, manifest


def measure_size(size: int, corpus: Path, manifest: dict, pool: Pool, args) -> dict:
    work = args.work_dir / f"run-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data, log = work / "data", work / "commands.log"
    result: dict = {"size": size, "seed": args.seed, "corpus_sha256": manifest["sha256"],
                    "corpus_bytes": manifest["bytes"],
                    "countries_per_article": manifest["countries_per_article"],
                    "officials_per_article": manifest["officials_per_article"],
                    "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    step = lambda text: print(f"[{size:,}] {text}", flush=True)  # noqa: E731

    r = run_watched(newsdesk(data, "import", "jsonl", str(corpus)), log)
    result["import"] = {k: r[k] for k in ("seconds", "peak_rss", "peak_rss_one", "maxrss")}
    step(f"import  {r['seconds']:7.1f} s  {size / r['seconds']:7.0f} articles/s  "
         f"peak RSS {r['peak_rss'] / 1e6:.0f} MB   {r['stdout'].strip()}")

    r = run_watched(newsdesk(data, "index"), log)
    result["index"] = {k: r[k] for k in ("seconds", "peak_rss", "peak_rss_one", "maxrss")}
    step(f"index   {r['seconds']:7.1f} s  {size / r['seconds']:7.0f} articles/s  "
         f"peak RSS {r['peak_rss'] / 1e6:.0f} MB   {r['stdout'].strip()}")
    stats = json.loads(run_watched(newsdesk(data, "stats", "--json"), log)["stdout"])
    if stats["indexed"] != size:
        sys.exit(f"scale: {stats['indexed']} articles indexed, expected {size}")
    result["index"]["bytes"] = stats["index"]["size_bytes"] or dir_size(data / "index")
    result["index"]["dir_bytes"] = dir_size(data / "index")
    result["store_bytes"] = (data / "articles.sqlite").stat().st_size

    fts_path = work / "fts5.sqlite"
    r = run_watched(myself("_fts-build", str(data / "articles.sqlite"), str(fts_path)), log)
    result["fts_build"] = {k: r[k] for k in ("seconds", "peak_rss", "peak_rss_one", "maxrss")}
    result["fts_build"]["bytes"] = fts_path.stat().st_size
    step(f"FTS5    {r['seconds']:7.1f} s  {size / r['seconds']:7.0f} articles/s  "
         f"peak RSS {r['peak_rss'] / 1e6:.0f} MB   {fts_path.stat().st_size / 1e6:.0f} MB")

    cold_nd = run_watched(newsdesk(data, "search", FIRST_QUERY, "--json"), log)
    cold_fts = run_watched(myself("_fts-query", str(fts_path), FIRST_QUERY), log)
    result["cold"] = {"newsdesk_ms": cold_nd["seconds"] * 1000, "fts_ms": cold_fts["seconds"] * 1000,
                      "newsdesk_total": json.loads(cold_nd["stdout"])["total"],
                      "fts_total": json.loads(cold_fts["stdout"])["total"]}
    step(f"cold search {FIRST_QUERY!r}: newsdesk {result['cold']['newsdesk_ms']:.0f} ms, "
         f"FTS5 {result['cold']['fts_ms']:.0f} ms")

    countries = [c for c, _ in sorted(_country_counts(pool).items(), key=lambda kv: -kv[1])[:5]]
    classes = query_classes(fts_path, countries)
    step("serve: " + ", ".join(f"{k} {len(v)}" for k, v in classes.items()) + " requests")
    t = time.perf_counter()
    nd = serve_measure(data, classes, args.warmup, args.passes, log)
    step(f"newsdesk serve done in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    fx = fts_measure(fts_path, classes, args.warmup, args.passes, work)
    step(f"FTS5 worker done in {time.perf_counter() - t:.0f} s")
    result["serve"] = {"first_ms": nd["first_ms"], "rss_first": nd["rss_first"],
                       "rss_end": nd["rss_end"], "rss_peak": nd["rss_peak"]}
    result["fts_serve"] = {k: fx[k] for k in ("first_ms", "rss_first", "rss_end", "maxrss")}
    result["classes"] = {}
    for name in classes:
        a, b = nd["classes"][name], fx["classes"][name]
        pairs = [(x, y) for x, y in zip(a["totals"], b["totals"]) if y is not None]
        result["classes"][name] = {
            "requests": len(classes[name]), "newsdesk": pct(a["ms"]), "fts": pct(b["ms"]),
            "newsdesk_took": pct(a["took_ms"]) if a["took_ms"] else None,
            "errors": a["errors"][:5], "compared": len(pairs),
            "same_total": sum(x == y for x, y in pairs)}
    result["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _country_counts(pool: Pool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for story in pool.stories:
        for code in story["countries"]:
            counts[code] = counts.get(code, 0) + 1
    return counts


# -- reporting ---------------------------------------------------------------

def _ratio(a: float, b: float) -> str:
    if not b:
        return "-"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def _ms(v: float) -> str:
    return f"{v:.1f}" if v < 1000 else f"{v:,.0f}"


def table_rows(r: dict) -> list[tuple[str, str, str, str]]:
    n = r["size"]
    imp, idx, fb = r["import"], r["index"], r["fts_build"]
    mb = lambda b: f"{b / 1e6:,.0f}"  # noqa: E731
    rows = [
        ("import articles/s (newsdesk import jsonl)", f"{n / imp['seconds']:,.0f}", "-", "-"),
        ("index/build s", f"{idx['seconds']:,.1f}", f"{fb['seconds']:,.1f}",
         _ratio(idx["seconds"], fb["seconds"])),
        ("index/build articles/s", f"{n / idx['seconds']:,.0f}", f"{n / fb['seconds']:,.0f}",
         _ratio(fb["seconds"], idx["seconds"])),
        ("index/build peak RSS MB", mb(idx["peak_rss"]), mb(fb["peak_rss"]),
         _ratio(idx["peak_rss"], fb["peak_rss"])),
        ("index size on disk MB", mb(idx["bytes"]), mb(fb["bytes"]), _ratio(idx["bytes"], fb["bytes"])),
        ("cold first search ms (new process)", _ms(r["cold"]["newsdesk_ms"]), _ms(r["cold"]["fts_ms"]),
         _ratio(r["cold"]["newsdesk_ms"], r["cold"]["fts_ms"])),
        ("serve: launch to first answer ms", _ms(r["serve"]["first_ms"]),
         _ms(r["fts_serve"]["first_ms"]), _ratio(r["serve"]["first_ms"], r["fts_serve"]["first_ms"])),
        ("serve: RSS after first query MB", mb(r["serve"]["rss_first"]), mb(r["fts_serve"]["rss_first"]),
         _ratio(r["serve"]["rss_first"], r["fts_serve"]["rss_first"])),
        ("serve: RSS after all queries MB", mb(r["serve"]["rss_end"]), mb(r["fts_serve"]["rss_end"]),
         _ratio(r["serve"]["rss_end"], r["fts_serve"]["rss_end"])),
    ]
    for name, c in r["classes"].items():
        for key in ("p50", "p95", "p99"):
            rows.append((f"{name} ({c['requests']}) {key} ms", _ms(c["newsdesk"][key]), _ms(c["fts"][key]),
                         _ratio(c["newsdesk"][key], c["fts"][key])))
    return rows


def header(r: dict) -> str:
    return (f"{r['size']:,} articles (seed {r['seed']}, corpus {r['corpus_bytes'] / 1e6:,.0f} MB, "
            f"{r['countries_per_article']} countries and {r['officials_per_article']} officials "
            f"per article; store {r['store_bytes'] / 1e6:,.0f} MB)")


def agreement(r: dict) -> str:
    return "same total hits as FTS5: " + ", ".join(
        f"{name} {c['same_total']}/{c['compared']}" for name, c in r["classes"].items())


def print_table(r: dict) -> None:
    rows = table_rows(r)
    w = max(len(row[0]) for row in rows)
    print(f"\n{header(r)}")
    print(f"{'':{w}}  {'newsdesk':>10}  {'FTS5':>10}  {'ratio':>7}")
    for label, a, b, ratio in rows:
        print(f"{label:{w}}  {a:>10}  {b:>10}  {ratio:>7}")
    print(agreement(r))
    errors = [e for c in r["classes"].values() for e in c["errors"]]
    if errors:
        print(f"newsdesk errors: {errors}")
    print(flush=True)


def write_markdown(results: list[dict], path: Path, meta: dict) -> None:
    lines = ["# Scale benchmark: newsdesk vs SQLite FTS5", "",
             f"`{meta['command']}` on {meta['host']}, {meta['date']} "
             f"(commit {meta['commit']}, SQLite {meta['sqlite']}, Python {meta['python']}). "
             "Ratios are newsdesk/FTS5; latencies are client-side wall ms, sequential; "
             "newsdesk over HTTP (`/api/search`, every facet, timeline, snippets), "
             "FTS5 in-process SQL. See benchmarks/README.md.", ""]
    for r in results:
        lines += [f"## {header(r)}", "", "| | newsdesk | FTS5 | ratio |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {a} | {b} | {ratio} |" for label, a, b, ratio in table_rows(r)]
        lines += ["", agreement(r) + ".", ""]
    path.write_text("\n".join(lines))


def write_chart(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = [r["size"] for r in results]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    ax = axes[0]
    ax.plot(sizes, [r["serve"]["rss_end"] / 1e6 for r in results], "o-", label="newsdesk serve")
    ax.plot(sizes, [r["fts_serve"]["rss_end"] / 1e6 for r in results], "s--", label="FTS5 process")
    ax.set_title("RSS after all queries (MB)")
    ax = axes[1]
    for n, name in enumerate(CLASSES):
        color = f"C{n}"
        ax.plot(sizes, [r["classes"][name]["newsdesk"]["p95"] for r in results], "o-", color=color,
                label=f"{name} newsdesk")
        ax.plot(sizes, [r["classes"][name]["fts"]["p95"] for r in results], "s--", color=color,
                label=f"{name} FTS5", alpha=0.7)
    ax.set_yscale("log")
    ax.set_title("p95 latency per query class (ms, log)")
    ax = axes[2]
    ax.plot(sizes, [r["index"]["seconds"] for r in results], "o-", label="newsdesk index")
    ax.plot(sizes, [r["import"]["seconds"] for r in results], "^-", label="newsdesk import")
    ax.plot(sizes, [r["fts_build"]["seconds"] for r in results], "s--", label="FTS5 build")
    ax.set_title("build time (s)")
    for ax in axes:
        ax.set_xlabel("articles")
        if len(sizes) > 1 and max(sizes) >= 5 * min(sizes):
            ax.set_xscale("log")
            ax.minorticks_off()
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s // 1000}k" if s < 10**6 else f"{s / 1e6:g}M" for s in sizes])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("newsdesk vs SQLite FTS5 on synthetic Reuters-21578 recombinations "
                 "(benchmarks/scale.py)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_meta(argv: list[str]) -> dict:
    import platform
    import sqlite3
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "indexer",
                                "webapp"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    return {"command": "benchmarks/scale.py " + " ".join(argv), "host":
            f"{platform.machine()}, {os.cpu_count()} cores", "date":
            datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit + (" + uncommitted changes in indexer/ or webapp/" if dirty else ""),
            "sqlite": sqlite3.sqlite_version, "python": platform.python_version()}


# -- main --------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    internal = {"_fts-build": fts_build_main, "_fts-query": fts_query_main,
                "_fts-worker": fts_worker_main}
    if argv and argv[0] in internal:
        internal[argv[0]](*argv[1:])
        return 0
    if argv and argv[0] == "generate":
        ap = argparse.ArgumentParser(prog="scale.py generate",
                                     description="Write one synthetic corpus (article JSONL parts).")
        ap.add_argument("--size", type=int, required=True)
        ap.add_argument("--seed", type=int, default=1)
        ap.add_argument("--out", type=Path, required=True)
        ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK,
                        help="where the Reuters pool is cached")
        args = ap.parse_args(argv[1:])
        check_reuters()
        args.work_dir.mkdir(parents=True, exist_ok=True)
        manifest = generate(Pool(ensure_pool(args.work_dir)), args.size, args.seed, args.out)
        print(json.dumps({k: v for k, v in manifest.items() if k != "parts"}, indent=1))
        return 0

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Also: scale.py generate --size N [--seed S] --out DIR")
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                    help="comma-separated corpus sizes (default 100000,300000; 1000000 is opt-in)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK,
                    help=f"corpora, data dirs, logs (default {DEFAULT_WORK}; never in the repo)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests per class (10)")
    ap.add_argument("--passes", type=int, default=1, help="timed passes per class (1)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where scale.json/.md go")
    ap.add_argument("--chart", type=Path, default=CHART, help="the PNG chart (docs/scale.png)")
    ap.add_argument("--keep", action="store_true", help="keep each size's data dir and FTS5 file")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    check_reuters()
    try:
        import matplotlib  # noqa: F401
        import psutil  # noqa: F401
    except ImportError as exc:
        sys.exit(f"scale: {exc.name} is missing: .venv/bin/pip install -e '.[bench]'")
    from whoosh.analysis import STOP_WORDS

    from _baseline import STOP_WORDS as OURS
    if set(OURS) != set(STOP_WORDS):
        sys.exit("scale: benchmarks/_baseline.py STOP_WORDS no longer match Whoosh's; update them")
    work = args.work_dir.resolve()
    if work == ROOT or ROOT in work.parents:
        sys.exit(f"scale: the work dir {work} is inside the repo; choose one outside it")
    args.work_dir = work
    work.mkdir(parents=True, exist_ok=True)
    meta = run_meta(argv)
    started = time.perf_counter()
    pool = Pool(ensure_pool(work))
    print(f"pool: {len(pool.stories):,} Reuters stories, "
          f"{sum(len(s['sentences']) for s in pool.stories):,} sentences (sha256 {pool.sha256[:16]}…)")
    results = []
    for size in sizes:
        corpus, manifest = ensure_corpus(pool, size, args.seed, work)
        t = time.perf_counter()
        results.append(measure_size(size, corpus, manifest, pool, args))
        results[-1]["minutes"] = round((time.perf_counter() - t) / 60, 1)
        print(f"[{size:,}] measured in {results[-1]['minutes']} min "
              f"({(time.perf_counter() - started) / 60:.1f} min since the start)")
        print_table(results[-1])
        args.results.mkdir(parents=True, exist_ok=True)
        meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
        (args.results / "scale.json").write_text(json.dumps({"meta": meta, "results": results},
                                                            indent=1) + "\n")
        write_markdown(results, args.results / "scale.md", meta)
        write_chart(results, args.chart)
    print(f"wrote {args.results / 'scale.md'}, {args.results / 'scale.json'}, {args.chart}; "
          f"{(time.perf_counter() - started) / 60:.1f} min in all")
    return 0


def check_reuters() -> None:
    if not sorted(REUTERS.glob("reut2-0*.sgm")):
        print(f"scale: Reuters-21578 not found at {REUTERS} (expected reut2-000.sgm … "
              "reut2-017.sgm); nothing to generate or measure, skipping", file=sys.stderr)
        sys.exit(0)


if __name__ == "__main__":
    sys.exit(main())
