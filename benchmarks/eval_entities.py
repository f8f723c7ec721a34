"""Measure entity extraction against the Reuters-21578 editors' labels and a hand-checked sample.

Reads ../shared/data/reuters21578/reut2-0*.sgm (Reuters-21578, Distribution 1.0),
passes TITLE and DATELINE + BODY to ``indexer.entities.extract`` (as our importer
does) and prints
- countries: micro and macro precision/recall/F1 over stories with PLACES labels
  (labels mapped to ISO codes by benchmarks/data/reuters_places.json);
- PEOPLE recall: a label counts as found when an extracted official carries the
  label's canonical name (benchmarks/data/reuters_people.json, e.g. "reagan" ->
  "Ronald Reagan"); an unmapped label falls back to a surname match.  "split"
  counts labels that came out under more than one name across the corpus (one
  person should be one facet value);
- official precision on benchmarks/data/officials_checked.jsonl: one line per
  (story id, official name) judged by reading the story; "set" is "dev" (80 stories
  drawn by ``--pick-sample 80``, seed 1987, whose errors were then fixed by general
  rules) or "heldout" (30 more stories, seed 2024, judged after the last change).  The extractor's
  *current* output on those stories is compared with it: precision =
  official_ok / judged, plus role and country accuracy; outputs not in the file
  are counted as "unjudged" (``--unjudged`` prints them, so the file can be
  extended) and lines marked ``"missed": true`` are officials the extractor did
  not output;
- speed in articles per second (extraction only, one process);
- modern news: the 121 pages of ../shared/data/article-extraction (2010-2020 web news and
  blogs), annotated by reading (benchmarks/data/modern_entities.jsonl, guidelines in
  benchmarks/data/README.md), each tagged with its published date: country precision,
  recall, F1 (micro), and for officials precision, recall, role and country accuracy
  over the matched ones, for the "dev" part, the "heldout" part and all.

Usage: .venv/bin/python benchmarks/eval_entities.py [--limit N] [--errors K] [--people K]
       [--unjudged] [--pick-sample N] [--modern-only] [--modern-errors]
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.entities import extract  # noqa: E402
from indexer.entities.officials import canonical_role, name_key  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "reuters21578"
BENCH = ROOT / "benchmarks" / "data"
PLACES = json.loads((BENCH / "reuters_places.json").read_text())["places"]
PEOPLE = json.loads((BENCH / "reuters_people.json").read_text())["people"]
CHECKED = BENCH / "officials_checked.jsonl"
MODERN = BENCH / "modern_entities.jsonl"
PAGES = ROOT.parent / "shared" / "data" / "article-extraction" / "ground-truth.json"
SAMPLE_SEED = 1987

_STORY = re.compile(r"<REUTERS\b.*?</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_SIGNOFF = re.compile(r"\s*\bReuter\s*[\x03]?\s*$")


@dataclass
class Story:
    id: str
    file: str
    title: str
    body: str
    places: list[str]
    people: list[str]


def _field(tag: str, story: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.S)
    return html.unescape(m.group(1)) if m else ""


def _labels(tag: str, story: str) -> list[str]:
    return re.findall(r"<D>(.*?)</D>", _field(tag, story))


def stories(limit: int | None = None):
    """Every story, body = DATELINE + BODY without the "Reuter" sign-off."""
    n = 0
    for path in sorted(DATA.glob("reut2-0*.sgm")):
        for story in _STORY.findall(path.read_text(encoding="latin-1")):
            body = _SIGNOFF.sub("", _field("BODY", story).replace("\x03", ""))
            dateline = " ".join(_field("DATELINE", story).split())
            text = f"{dateline} {body}" if dateline else body
            yield Story(f"reuters-{_NEWID.search(story).group(1)}", path.name,
                        " ".join(_field("TITLE", story).split()), text,
                        _labels("PLACES", story), _labels("PEOPLE", story))
            n += 1
            if limit and n >= limit:
                return


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def person_found(label: str, names: list[str]) -> bool:
    """The label's canonical name is among ``names``; unmapped labels: a surname match."""
    if label in PEOPLE:
        return PEOPLE[label] in names
    parts = label.split("-")
    for name in names:
        tokens = _fold(name).replace("-", " ").split()
        if tokens and (parts[-1] == tokens[-1] and (len(parts) == 1 or parts[0] == tokens[0])):
            return True
    return False


def _same_person(label: str, name: str) -> bool:
    """A loose surname match, to see under which names a labelled person came out."""
    parts, tokens = label.split("-"), _fold(name).replace("-", " ").split()
    return bool(tokens) and parts[-1] == tokens[-1] and (len(parts) == 1 or parts[0] == tokens[0])


def prf(t: int, f_p: int, f_n: int) -> tuple[float, float, float]:
    p = t / (t + f_p) if t + f_p else 0.0
    r = t / (t + f_n) if t + f_n else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pick_sample(data, results, n: int) -> list[str]:
    """A seeded sample of ``n`` story ids with at least one official, spread over the files."""
    by_file: dict[str, list[str]] = defaultdict(list)
    for s, ex in zip(data, results):
        if ex.officials:
            by_file[s.file].append(s.id)
    rng = random.Random(SAMPLE_SEED)
    files = sorted(by_file)
    per = {f: n // len(files) + (i < n % len(files)) for i, f in enumerate(files)}
    return [i for f in files for i in sorted(rng.sample(by_file[f], min(per[f], len(by_file[f]))))]


def load_checked() -> dict[tuple[str, str], dict]:
    if not CHECKED.exists():
        return {}
    lines = (json.loads(x) for x in CHECKED.read_text(encoding="utf-8").splitlines() if x.strip())
    return {(j["id"], j["name"]): j for j in lines}


def official_precision(data, results, show_unjudged: bool) -> None:
    """Precision on the whole sample, then on each of its parts ("set": dev, heldout)."""
    checked = load_checked()
    parts = sorted({j.get("set", "") for j in checked.values()} - {""})
    for part in [None] + parts:
        sub = {k: j for k, j in checked.items() if part is None or j.get("set") == part}
        _precision(data, results, sub, part, show_unjudged and part is None)


def _precision(data, results, checked: dict, part: str | None, show_unjudged: bool) -> None:
    ids = {i for i, _ in checked}
    judged = ok = role_ok = country_ok = strict = 0
    unjudged = []
    for s, ex in zip(data, results):
        if s.id not in ids:
            continue
        for o in ex.officials:
            j = checked.get((s.id, o.name))
            if j is None or j.get("missed"):
                unjudged.append((s, o))
                continue
            if (j.get("role"), j.get("country")) != (o.role, o.country):
                unjudged.append((s, o))  # judged under another role/country: judge again
                continue
            judged += 1
            ok += bool(j["official_ok"])
            role_ok += bool(j["official_ok"] and j["role_ok"])
            country_ok += bool(j["official_ok"] and j["country_ok"])
            strict += bool(j["official_ok"] and j["role_ok"] and j["country_ok"])
    missed = sum(1 for j in checked.values() if j.get("missed"))
    label = f"  {part}:" if part else "officials sample:"
    if not judged:
        print(f"{label} no judged outputs")
        return
    print("%s %d stories, %d outputs judged, %d unjudged, %d known misses; precision %.3f (%d/%d), "
          "role accuracy %.3f, country accuracy %.3f, all right %.3f"
          % (label, len(ids), judged, len(unjudged), missed, ok / judged, ok, judged,
             role_ok / judged, country_ok / judged, strict / judged))
    if show_unjudged:
        for s, o in unjudged:
            print(json.dumps({"id": s.id, "name": o.name, "role": o.role, "country": o.country,
                              "evidence": [e[2] for e in o.evidence]}))


def _extract_dated(title: str, body: str, published: str):
    """``extract`` with the article's date (the library takes ``published``; older: ``year``)."""
    try:
        return extract(title, body, published=published or None)
    except TypeError:
        return extract(title, body, year=int(published[:4]) if published else None)


def _role_ok(got: str, accepted: list[str]) -> bool:
    def norm(r: str) -> str:
        former = r.lower().startswith("former ")
        base = canonical_role(r[7:] if former else r) if r else ""
        return ("former " if former else "") + base.lower()
    return norm(got) in {norm(r) for r in accepted}


def modern_news(show_errors: bool) -> None:
    """Countries and officials on the annotated modern pages, per part and overall."""
    if not (MODERN.exists() and PAGES.exists()):
        print(f"modern news: skipped ({PAGES} or {MODERN} absent)")
        return
    bodies = json.loads(PAGES.read_text(encoding="utf-8"))
    gold = [json.loads(x) for x in MODERN.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    results = [_extract_dated(g["title"], bodies[g["key"]]["articleBody"], g["published"]) for g in gold]
    seconds = time.perf_counter() - t0
    for part in ("dev", "heldout", None):
        c = Counter()
        for g, ex in zip(gold, results):
            if part and g["set"] != part:
                continue
            want, got = set(g["countries"]), set(ex.country_codes())
            c["tp"] += len(want & got)
            c["fp"] += len(got - want)
            c["fn"] += len(want - got)
            outs = {name_key(o.name): o for o in ex.officials}
            golds = {name_key(o["name"]): o for o in g["officials"]}
            c["out"] += len(outs)
            c["gold"] += len(golds)
            for k, o in golds.items():
                hit = outs.get(k)
                if hit is None:
                    if show_errors and part == "dev":
                        print(f"  MISS {g['key'][:8]} {o['name']} ({o['role']}, {o['country']})")
                    continue
                c["match"] += 1
                c["role"] += _role_ok(hit.role, o["roles"])
                c["country"] += hit.country == o["country"]
                if show_errors and part == "dev" and not (_role_ok(hit.role, o["roles"])
                                                         and hit.country == o["country"]):
                    print(f"  WRONG {g['key'][:8]} {o['name']}: got ({hit.role}, {hit.country}) "
                          f"want ({'|'.join(o['roles'])}, {o['country']})")
            if show_errors and part == "dev":
                for k, o in outs.items():
                    if k not in golds:
                        print(f"  FP {g['key'][:8]} {o.name} ({o.role}, {o.country}) "
                              f"{[e[2] for e in o.evidence][:2]}")
                for code in got - want:
                    print(f"  COUNTRY FP {g['key'][:8]} {code}")
                for code in want - got:
                    print(f"  COUNTRY FN {g['key'][:8]} {code}")
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        op = c["match"] / c["out"] if c["out"] else 0.0
        orc = c["match"] / c["gold"] if c["gold"] else 0.0
        m = c["match"] or 1
        print(f"modern {part or 'all'}: countries P/R/F1 {p:.3f} {r:.3f} {f:.3f}; officials "
              f"P {op:.3f} R {orc:.3f} ({c['match']}/{c['gold']} gold, {c['out']} out), "
              f"role acc {c['role'] / m:.3f}, country acc {c['country'] / m:.3f}")
    print("modern speed: %.0f articles/s (%d pages, %.2f s)" % (len(gold) / seconds, len(gold), seconds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--errors", type=int, default=0, help="print K stories with country errors")
    ap.add_argument("--people", type=int, default=0, help="print K missed PEOPLE labels")
    ap.add_argument("--unjudged", action="store_true", help="print sample outputs not yet judged")
    ap.add_argument("--pick-sample", type=int, default=0, metavar="N",
                    help="print a seeded sample of N story ids with officials and exit")
    ap.add_argument("--modern-only", action="store_true", help="only the modern news set")
    ap.add_argument("--modern-errors", action="store_true",
                    help="print dev-set misses, wrong roles/countries and false positives")
    args = ap.parse_args()
    if args.modern_only:
        modern_news(args.modern_errors)
        return
    if not DATA.exists():
        sys.exit(f"no Reuters data at {DATA} (Reuters-21578 is read from ../shared/data)")

    data = list(stories(args.limit))
    t0 = time.perf_counter()
    results = [extract(s.title, s.body, year=1987) for s in data]
    seconds = time.perf_counter() - t0
    if args.pick_sample:
        print("\n".join(pick_sample(data, results, args.pick_sample)))
        return

    tp, fp, fn = Counter(), Counter(), Counter()
    people_total = people_found = 0
    forms: dict[str, Counter] = defaultdict(Counter)
    shown = shown_people = 0
    for s, ex in zip(data, results):
        names = [o.name for o in ex.officials]
        for label in s.people:
            people_total += 1
            found = person_found(label, names)
            people_found += found
            forms[label].update(n for n in names if _same_person(label, n))
            if not found and shown_people < args.people:
                shown_people += 1
                print(f"--- PEOPLE {label!r} ({PEOPLE.get(label)}) {s.id} {s.title!r}\n"
                      f"    got={[(o.name, o.role, o.country) for o in ex.officials]}")
        if not s.places:
            continue
        gold = {PLACES[p] for p in s.places if p in PLACES}
        got = set(ex.country_codes())
        for c in got & gold:
            tp[c] += 1
        for c in got - gold:
            fp[c] += 1
        for c in gold - got:
            fn[c] += 1
        if shown < args.errors and got != gold:
            shown += 1
            print(f"--- {s.id} {s.title!r}\n    gold={sorted(gold)} got={sorted(got)} "
                  f"mentions={[(c.code, c.mentions) for c in ex.countries]}\n    {s.body[:160]!r}")

    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    codes = set(tp) | set(fn)
    per = [prf(tp[c], fp[c], fn[c]) for c in codes]
    macro = tuple(sum(x[i] for x in per) / len(per) for i in range(3)) if per else (0, 0, 0)
    split = sorted(label for label, c in forms.items() if len(c) > 1)
    print(f"stories: {len(data)}, with PLACES: {sum(1 for s in data if s.places)}, "
          f"with PEOPLE: {sum(1 for s in data if s.people)}")
    print("countries micro P/R/F1: %.3f %.3f %.3f" % micro)
    print("countries macro P/R/F1: %.3f %.3f %.3f  (over %d gold countries)" % (*macro, len(codes)))
    print("PEOPLE recall: %.3f (%d/%d labels); split over several names: %d of %d people %s" % (
        people_found / people_total if people_total else 0, people_found, people_total,
        len(split), len(forms), split[:8]))
    official_precision(data, results, args.unjudged)
    print("speed: %.0f articles/s (%.1f s for %d)" % (len(data) / seconds, seconds, len(data)))
    worst = sorted(codes, key=lambda c: -(fp[c] + fn[c]))[:12]
    print("most errors (code fp fn):", " ".join(f"{c}:{fp[c]}/{fn[c]}" for c in worst))
    modern_news(args.modern_errors)


if __name__ == "__main__":
    main()
