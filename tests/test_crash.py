"""Crash safety: `newsdesk import`, `index` and `reindex` killed with SIGKILL, then recovery.

Each trial copies a real data dir (a store and a built index of ~350 articles),
changes the store (adds, updates and deletions, as an import or a crawl leaves
it), runs one command in a subprocess and kills it -9 at a seeded moment:

* from outside, after a seeded delay (``timed``), or
* from inside, at an exact point of a third-party call, through
  tests/helpers/crashing_cli.py (Whoosh's file writes and TOC rename, its
  writer processes, sqlite3's statements are patched in the child only):
  above all inside an incremental `index`'s commit into the *live* generation.

Then: the index opens and answers, holding exactly the state before or the
state after the command (never a mix, no id twice), no process of the killed
command is left behind, and `newsdesk index` brings the index exactly up to the
store.  A handful of trials run by default; the long run is marked ``stress``::

    NEWSDESK_STRESS_TRIALS=30 pytest -m stress tests/test_crash.py
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE

from indexer import Article, DataDir, SearchRequest, SearchService, Store, engine, pipeline
from indexer.engine import current_generation

HELPER = REPO / "tests" / "helpers" / "crashing_cli.py"
EXTRA = 300                        # synthetic articles beside the 48 of the sample corpus
ADDS, UPDATES, DELETES = 20, 8, 6  # the store change of every trial
WINDOWS = [  # (command, where it is killed)
    ("index", "segment-bytes"),      # writing the new segment into the live generation
    ("index", "toc-bytes"),          # writing the live generation's new TOC
    ("index", "toc-before-rename"),  # TOC written, not yet renamed into place
    ("index", "toc-after-rename"),   # committed, replaced files not yet deleted
    ("index", "timed"),
    ("reindex", "enqueue"),          # Whoosh's writer processes at work
    ("reindex", "toc-after-rename"),  # new generation complete, CURRENT not yet swapped
    ("reindex", "timed"),
    ("import", "store-insert"),      # inside the store's transaction
    ("import", "timed"),
]
# the state a kill in each planted window must leave (the index's; for import, the store's)
LEAVES = {"segment-bytes": "old", "toc-bytes": "old", "toc-before-rename": "old",
          "toc-after-rename": {"index": "new", "reindex": "old"}, "enqueue": "old",
          "store-insert": "old"}
TIMED = {"index": (0.3, 1.0), "reindex": (0.3, 1.6), "import": (0.3, 0.8)}  # kill after (s)
DEFAULT_TRIALS = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (5, 8)]  # (seed, window)
STRESS_ENV = "NEWSDESK_STRESS_TRIALS"
STRESS_DEFAULT = 30


def stress_selected(config) -> bool:
    return bool(os.environ.get(STRESS_ENV)) or "stress" in (
        config.getoption("markexpr") or "").replace("not stress", "")


def pytest_generate_tests(metafunc):
    """``stress_trial``: NEWSDESK_STRESS_TRIALS of them (30 under ``-m stress``), else skipped."""
    if "stress_trial" not in metafunc.fixturenames:
        return
    selected = stress_selected(metafunc.config)
    count = int(os.environ.get(STRESS_ENV) or (STRESS_DEFAULT if selected else 0))
    if not count:
        skip = pytest.mark.skip(reason=f"the long run: {STRESS_ENV}=30 pytest -m stress "
                                       "tests/test_crash.py")
        metafunc.parametrize("stress_trial", [pytest.param(None, marks=skip)], ids=["off"])
        return
    trials = [(1000 + n, n % len(WINDOWS)) for n in range(count)]
    metafunc.parametrize("stress_trial", trials, ids=[trial_id(*t) for t in trials])


def trial_id(seed: int, window: int) -> str:
    return f"{'-'.join(WINDOWS[window])}-seed{seed}"


# --- the data: one base data dir per module, copied for each trial ------------------------

def base_rows() -> list[dict]:
    sample = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()
              if line.strip()]
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    extra = []
    for n in range(EXTRA):
        row = dict(sample[n % len(sample)])
        row.update(id=f"x{n:03d}", url=f"https://crash.example.org/{n}",
                   body=f"{row['body']}\n\nFiled as basetok{n}.",
                   published=(start + timedelta(hours=n)).isoformat())
        extra.append(row)
    return sample + extra


def titles_in_store(root: Path) -> dict[str, str]:
    with Store(DataDir(root).store_path) as store:
        return {a.id: a.title for a in store}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A data dir of ~350 articles with a built index (several segments: two writer processes)."""
    where = tmp_path_factory.mktemp("crash-base")
    src = where / "base.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in base_rows()), encoding="utf-8")
    data = DataDir(where / "data").ensure()
    assert not pipeline.import_files(data, "jsonl", [src]).skipped
    pipeline.index(data)
    return data.root


class Change:
    """A seeded store change: ADDS new articles, UPDATES new titles, DELETES removals."""

    def __init__(self, rng: random.Random, seed: int, root: Path):
        with Store(DataDir(root).store_path) as store:
            words = [w for w in " ".join(a.body for a in store.get_many(["x000", "x001"])).split()
                     if w.isalpha()]  # not the base articles' own words (basetok0)
            picked = rng.sample([f"x{n:03d}" for n in range(EXTRA)], UPDATES + DELETES)
            self.deleted = picked[UPDATES:]
            self.updated = {}
            for j, article_id in enumerate(picked[:UPDATES]):
                old = store.get(article_id)
                self.updated[article_id] = replace(
                    old, title=f"Revised: {old.title} updtok{seed}x{j}")
        self.added = {}
        for j in range(ADDS):
            article_id = f"new-{seed}-{j}"
            body = " ".join(rng.choice(words) for _ in range(250))
            self.added[article_id] = Article(
                id=article_id, title=f"Crash desk report {j}", source="Crash Wire",
                body=f"{body} addtok{seed}x{j}", countries=("LB",),
                published=datetime(2024, 10, 1, tzinfo=timezone.utc) + timedelta(minutes=j))

    def token(self, article_id: str) -> str:
        """A word found in that article only (in the state that holds it)."""
        if article_id in self.added:
            return self.added[article_id].body.rsplit(" ", 1)[1]
        if article_id in self.updated:
            return self.updated[article_id].title.rsplit(" ", 1)[1]
        return f"basetok{int(article_id[1:])}"

    def write_deletions(self, root: Path) -> None:
        with Store(DataDir(root).store_path) as store:
            assert store.delete(self.deleted) == DELETES

    def write_all(self, root: Path) -> None:
        """As a finished import and a clean-up leave the store."""
        self.write_deletions(root)
        with Store(DataDir(root).store_path) as store:
            counts = store.upsert([*self.added.values(), *self.updated.values()])
            assert (counts.added, counts.updated) == (ADDS, UPDATES)

    def as_jsonl(self, path: Path) -> Path:
        path.write_text("".join(json.dumps(a.to_json()) + "\n"
                                for a in [*self.added.values(), *self.updated.values()]))
        return path


# --- running and killing ----------------------------------------------------------------

def newsdesk(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer.cli", "--data-dir", str(root), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def run_killed(root: Path, args: list[str], window: str, point: float, log: Path) -> int:
    """Run a command until the planted kill (or a timed one from here); its exit status.

    Output goes to files, not pipes: a process the kill left behind could hold a
    pipe open for ever.
    """
    with open(log, "w") as out:
        if window == "timed":
            proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "--data-dir", str(root),
                                     *args], cwd=REPO, stdout=out, stderr=out, env=child_env())
            try:
                return proc.wait(timeout=point)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                return proc.wait()
        proc = subprocess.run([sys.executable, str(HELPER), window, str(int(point)), "-", "--",
                               "--data-dir", str(root), *args],
                              cwd=REPO, stdout=out, stderr=out, env=child_env(), timeout=300)
        return proc.returncode


def left_behind(marker: str, wait: float = 20.0) -> list[str]:
    """Processes still running with ``marker`` (the trial's data dir) on their command line,
    once they have had ``wait`` seconds to end; those are then killed (by pid)."""
    def find() -> dict[int, str]:
        found = {}
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit() and int(proc.name) != os.getpid():
                try:
                    cmd = (proc / "cmdline").read_bytes()
                except OSError:
                    continue
                if marker.encode() in cmd:
                    found[int(proc.name)] = cmd.replace(b"\0", b" ").decode(errors="replace")
        return found

    deadline = time.monotonic() + wait
    while (found := find()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [f"{pid}: {cmd}" for pid, cmd in found.items()]


# --- what the index holds ---------------------------------------------------------------

def index_titles(svc: SearchService) -> dict[str, str]:
    """Every indexed article's id and title, page by page."""
    seen: list[tuple[str, str]] = []
    first = svc.search(SearchRequest.from_params({"per_page": 100, "sort": "oldest",
                                                    "collapse": "false"}))
    for page in range(1, first.pages + 1):
        result = svc.search(SearchRequest.from_params(
            {"per_page": 100, "page": page, "sort": "oldest", "collapse": "false"}),
            timeline=False)
        assert result.total == first.total
        seen += [(h.id, h.title) for h in result.hits]
    twice = [i for i, n in Counter(i for i, _ in seen).items() if n > 1]
    assert not twice, f"ids in the results twice: {twice}"
    assert len(seen) == first.total
    assert svc.stats()["indexed"] == first.total
    return dict(seen)


def assert_words(svc: SearchService, change: Change, state: dict[str, str]) -> None:
    """Each changed article's own word finds it exactly when ``state`` holds it."""
    for article_id in [*change.added, *change.updated, *change.deleted]:
        word = change.token(article_id)
        holds = article_id in state and (article_id not in change.updated
                                         or state[article_id] == change.updated[article_id].title)
        hits = svc.search(SearchRequest.from_params({"q": word}), timeline=False).hits
        assert {h.id for h in hits} == ({article_id} if holds else set()), (article_id, word)


def check_index(root: Path, change: Change, allowed: list[dict[str, str]]) -> dict[str, str]:
    """Through a new search service: the index holds one of the ``allowed`` states, whole."""
    svc = SearchService(DataDir(root))
    try:
        state = index_titles(svc)
        assert state in allowed, "the index holds none of the committed states"
        assert_words(svc, change, state)
        return state
    finally:
        svc.engine.close()


# --- one trial --------------------------------------------------------------------------

def trial(seed: int, window_no: int, base: Path, tmp_path: Path, calibration: dict,
          log: list) -> None:
    command, window = WINDOWS[window_no]
    rng = random.Random(seed)
    root = tmp_path / "data"
    shutil.copytree(base, root)
    before_index = titles_in_store(base)
    change = Change(rng, seed, root)
    args = [command]
    if command == "import":
        change.write_deletions(root)  # then the import brings the adds and updates
        args = ["import", "jsonl", str(change.as_jsonl(tmp_path / "changes.jsonl"))]
        store_before = titles_in_store(root)
        after = {**store_before, **{i: a.title for i, a in change.added.items()},
                 **{i: a.title for i, a in change.updated.items()}}
    else:
        change.write_all(root)
        after = titles_in_store(root)
    point = {"segment-bytes": lambda: rng.randint(1, int(calibration["segment"] * 0.8)),
             "toc-bytes": lambda: rng.randint(1, int(calibration["toc"] * 0.9)),
             "enqueue": lambda: rng.randint(1, 3),
             "store-insert": lambda: rng.randint(1, ADDS + UPDATES),
             "timed": lambda: rng.uniform(*TIMED[command])}.get(window, lambda: 0)()
    entry = {"command": command, "window": window, "seed": seed, "point": point}
    log.append(entry)

    status = run_killed(root, args, window, point, tmp_path / "child.log")
    try:
        entry["killed"] = status == -signal.SIGKILL
        if window != "timed":
            assert status == -signal.SIGKILL, (status, (tmp_path / "child.log").read_text())
        else:
            assert status in (0, -signal.SIGKILL), (tmp_path / "child.log").read_text()

        # right after the kill: a new service opens the index, which holds one committed state
        assert current_generation(DataDir(root).index_root) is not None
        if command == "import":
            check_index(root, change, [before_index])
            stored = titles_in_store(root)
            assert stored in (store_before, after), "the store holds a part of the import"
            entry["state"] = "new" if stored == after else "old"
        else:
            state = check_index(root, change, [before_index, after])
            entry["state"] = "new" if state == after else "old"
        leaves = LEAVES.get(window, entry["state"])
        assert entry["state"] == (leaves[command] if isinstance(leaves, dict) else leaves)

        # `newsdesk index` at once brings the index exactly up to the store
        result = newsdesk(root, "index")
        assert result.returncode == 0, result.stderr
        store = titles_in_store(root)
        check_index(root, change, [store])
        assert newsdesk(root, "index").stdout.strip().endswith("0 added, 0 updated, 0 deleted")
        stats = newsdesk(root, "stats", "--json")
        assert stats.returncode == 0, stats.stderr
        info = json.loads(stats.stdout)
        assert info["articles"] == info["indexed"] == len(store)
    finally:  # also after a failure: nothing of the trial may keep running
        leftovers = left_behind(str(root))
    assert not leftovers, f"processes of the killed command still running: {leftovers}"
    entry["survived"] = True


@pytest.fixture(scope="module")
def calibration(base, tmp_path_factory) -> dict:
    """Bytes an incremental `index` of one trial's change writes to segments and to the TOC."""
    where = tmp_path_factory.mktemp("crash-calibration")
    root = where / "data"
    shutil.copytree(base, root)
    Change(random.Random(-1), -1, root).write_all(root)
    report = where / "written.json"
    subprocess.run([sys.executable, str(HELPER), "count", "0", str(report), "--",
                    "--data-dir", str(root), "index"], cwd=REPO, env=child_env(), check=True,
                   capture_output=True, timeout=300)
    sizes = json.loads(report.read_text())
    assert sizes["segment"] > 10_000 and sizes["toc"] > 500, sizes
    return sizes


@pytest.fixture(scope="module")
def log(request) -> list:
    """Every trial's figures; a table of them at the end of the module."""
    entries: list[dict] = []
    yield entries
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if not entries or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        summary(entries, reporter.write_line)


def summary(entries: list[dict], write) -> None:
    """Per command and kill window: trials run, killed -9, left in the new state, survived."""
    def total(rows, what):
        return sum(bool(e.get(what)) for e in rows)

    write("")
    write(f"crash trials: {len(entries)} run, {total(entries, 'killed')} killed -9, "
          f"{total(entries, 'survived')} survived")
    write(f"  {'command':8} {'window':18} {'run':>4} {'killed':>7} {'new state':>10} {'survived':>9}")
    for command, window in dict.fromkeys((e["command"], e["window"]) for e in entries):
        rows = [e for e in entries if (e["command"], e["window"]) == (command, window)]
        new = sum(e.get("state") == "new" for e in rows)
        write(f"  {command:8} {window:18} {len(rows):>4} {total(rows, 'killed'):>7} {new:>10} "
              f"{total(rows, 'survived'):>9}")


@pytest.mark.parametrize("seed,window", DEFAULT_TRIALS, ids=[trial_id(*t) for t in DEFAULT_TRIALS])
def test_a_killed_command_leaves_an_index_that_recovers(seed, window, base, tmp_path,
                                                        calibration, log):
    trial(seed, window, base, tmp_path, calibration, log)


@pytest.mark.stress
def test_stress_kill_9_trials(stress_trial, base, tmp_path, calibration, log):
    trial(*stress_trial, base, tmp_path, calibration, log)


def _wait_for(started, release) -> None:
    started.set()  # runs after the fork hooks: the child has done what they do
    release.wait(30)


def test_a_process_forked_by_a_writer_does_not_hold_the_lock_after_it(tmp_path):
    """Whoosh forks its writer processes while we hold the write lock: the lock is the
    writer's alone, so it ends with the writer even while such a process lives on."""
    import multiprocessing
    fork = multiprocessing.get_context("fork")
    started, release = fork.Event(), fork.Event()
    with engine.write_lock(tmp_path):
        child = fork.Process(target=_wait_for, args=(started, release))
        child.start()
    try:
        assert started.wait(30) and child.is_alive()
        with engine.write_lock(tmp_path):  # free again, although the child still runs
            pass
    finally:
        release.set()
        child.join(30)


def children_of(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.stress
def test_a_killed_import_of_several_files_leaves_no_worker_behind(base, tmp_path, request):
    if not stress_selected(request.config):
        pytest.skip(f"the long run: {STRESS_ENV}=30 pytest -m stress tests/test_crash.py")
    root = tmp_path / "data"
    shutil.copytree(base, root)
    change = Change(random.Random(7), 7, root)
    rows = change.as_jsonl(tmp_path / "all.jsonl").read_text().splitlines(keepends=True)
    files = [tmp_path / "one.jsonl", tmp_path / "two.jsonl"]
    files[0].write_text("".join(rows[::2]))
    files[1].write_text("".join(rows[1::2]))
    with open(tmp_path / "child.log", "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "--data-dir", str(root),
                                 "import", "jsonl", *map(str, files)],
                                cwd=REPO, stdout=out, stderr=out, env=child_env())
        while proc.poll() is None and not children_of(proc.pid):  # its worker processes
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    leftovers = left_behind(str(root))
    result = newsdesk(root, "index")  # the store and index recover all the same
    assert result.returncode == 0, result.stderr
    assert not leftovers, f"processes of the killed import still running: {leftovers}"
