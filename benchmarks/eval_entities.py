"""Measure entity extraction against the Reuters-21578 editors' labels.

Reads ../shared/data/reuters21578/reut2-0*.sgm (Reuters-21578, Distribution 1.0),
passes TITLE and DATELINE + BODY to ``indexer.entities.extract`` (as our importer
does) and prints
- countries: micro and macro precision/recall/F1 over stories with PLACES labels
  (labels mapped to ISO codes by benchmarks/data/reuters_places.json);
- PEOPLE recall: a label ("reagan", "james-baker") counts as found when an
  extracted official's name ends with its surname (and starts with its given
  name, when the label has one);
- speed in articles per second (extraction only).

Usage: .venv/bin/python benchmarks/eval_entities.py [--limit N] [--errors K]
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.entities import extract  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "reuters21578"
PLACES = json.loads((ROOT / "benchmarks" / "data" / "reuters_places.json").read_text())["places"]

_STORY = re.compile(r"<REUTERS\b.*?</REUTERS>", re.S)


def _field(tag: str, story: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.S)
    return html.unescape(m.group(1)) if m else ""


def _labels(tag: str, story: str) -> list[str]:
    return re.findall(r"<D>(.*?)</D>", _field(tag, story))


def stories(limit: int | None = None):
    """(title, body, places, people) for each story, body = DATELINE + BODY."""
    n = 0
    for path in sorted(DATA.glob("reut2-0*.sgm")):
        for story in _STORY.findall(path.read_text(encoding="latin-1")):
            body = _field("BODY", story)
            dateline = _field("DATELINE", story)
            text = (dateline.strip() + " " + body) if dateline.strip() else body
            yield (_field("TITLE", story).strip(), text,
                   _labels("PLACES", story), _labels("PEOPLE", story))
            n += 1
            if limit and n >= limit:
                return


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def person_found(label: str, names: list[str]) -> bool:
    """Surname match: "james-baker" needs a name "James ... Baker"; "reagan" any "... Reagan"."""
    parts = label.split("-")
    for name in names:
        tokens = _fold(name).replace("-", " ").split()
        if not tokens:
            continue
        if len(parts) == 1 and parts[0] in tokens:
            return True
        if len(parts) > 1 and " ".join(parts) in " ".join(tokens):
            return True
        if len(parts) > 1 and parts[-1] == tokens[-1] and parts[0] == tokens[0]:
            return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--errors", type=int, default=0, help="print K mistaken stories")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"no Reuters data at {DATA}")

    data = list(stories(args.limit))
    t0 = time.perf_counter()
    results = [extract(title, body, year=1987) for title, body, _, _ in data]
    seconds = time.perf_counter() - t0

    tp, fp, fn = Counter(), Counter(), Counter()
    people_total = people_found = 0
    shown = 0
    for (title, body, places, people), ex in zip(data, results):
        names = [o.name for o in ex.officials]
        for label in people:
            people_total += 1
            people_found += person_found(label, names)
        if not places:
            continue
        gold = {PLACES[p] for p in places if p in PLACES}
        got = set(ex.country_codes())
        for c in got & gold:
            tp[c] += 1
        for c in got - gold:
            fp[c] += 1
        for c in gold - got:
            fn[c] += 1
        if shown < args.errors and got != gold:
            shown += 1
            print(f"--- {title!r}\n    gold={sorted(gold)} got={sorted(got)} "
                  f"mentions={[(c.code, c.mentions) for c in ex.countries]}\n    {body[:160]!r}")

    def prf(t, f_p, f_n):
        p = t / (t + f_p) if t + f_p else 0.0
        r = t / (t + f_n) if t + f_n else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    codes = set(tp) | set(fn)
    per = [prf(tp[c], fp[c], fn[c]) for c in codes]
    macro = tuple(sum(x[i] for x in per) / len(per) for i in range(3)) if per else (0, 0, 0)
    n_places = sum(1 for d in data if d[2])
    print(f"stories: {len(data)}, with PLACES: {n_places}, with PEOPLE: "
          f"{sum(1 for d in data if d[3])}")
    print("countries micro P/R/F1: %.3f %.3f %.3f" % micro)
    print("countries macro P/R/F1: %.3f %.3f %.3f  (over %d gold countries)" % (*macro, len(codes)))
    print("PEOPLE recall: %.3f (%d/%d labels)" % (
        people_found / people_total if people_total else 0, people_found, people_total))
    print("speed: %.0f articles/s (%.1f s for %d)" % (len(data) / seconds, seconds, len(data)))
    worst = sorted(codes, key=lambda c: -(fp[c] + fn[c]))[:12]
    print("most errors (code fp fn):", " ".join(f"{c}:{fp[c]}/{fn[c]}" for c in worst))


if __name__ == "__main__":
    main()
