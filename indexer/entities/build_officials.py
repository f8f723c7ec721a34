"""Build data/office_terms.json, the dated office-holder table, from open data.

Sources (re-run this script after changing any of them):
- ../shared/data/officials/us-congress-legislators/executive.yaml: every US president and
  vice president with term dates (unitedstates/congress-legislators, CC0);
- .../legislators-current.yaml: every member of the current Congress with all past terms
  (type sen/rep, start, end; CC0);
- data/office_holders.tsv: heads of state and government, cabinet principals and ministers
  compiled by hand from public facts (its header says which lists and why this scope).

Output, one person per line: {"name", "aliases", "bare", "congress", "terms": [[role,
country, start, end], ...]} with ISO dates ("" = in office).  "bare" marks people a surname
alone may name ("Trump", "Merkel"); "congress" marks members known only from Congress
data, who are tagged only when the text gives a legislative title.

Usage: python3 indexer/entities/build_officials.py [--shared DIR]   (needs PyYAML)
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_SHARED = HERE.parents[2] / "shared" / "data" / "officials" / "us-congress-legislators"
ROLES = {"prez": "President", "viceprez": "Vice President", "sen": "Senator", "rep": "Representative"}
BARE_SINCE = "1977-01-01"   # presidents from Carter on may be named by surname alone


def _names(n: dict) -> list[str]:
    """"Joseph Biden", "Joe Biden", "Joseph R. Biden", official_full: every usual spelling."""
    first, last = n.get("first", ""), n.get("last", "")
    out = [n.get("official_full", ""), f"{n.get('nickname', '')} {last}" if n.get("nickname") else "",
           f"{first} {last}"]
    if n.get("middle"):
        out.append(f"{first} {n['middle'][0]}. {last}")
        out.append(f"{first} {' '.join(p[0] + '.' for p in n['middle'].split())} {last}")
    return list(dict.fromkeys(x.strip() for x in out if x.strip()))


def _person(store: dict, name: str, aliases: list[str]) -> dict:
    p = store.setdefault(name, {"name": name, "aliases": [], "bare": False, "congress": True,
                                "terms": []})
    p["aliases"] = list(dict.fromkeys(p["aliases"] + [a for a in aliases if a != name]))
    return p


def build(shared: Path) -> list[dict]:
    import yaml

    store: dict[str, dict] = {}
    for rec in yaml.safe_load((shared / "executive.yaml").read_text(encoding="utf-8")):
        n = rec["name"]
        names = _names(n)
        name = f"{n.get('nickname') or n['first']} {n['last']}"
        if name in store and store[name].get("id") != json.dumps(rec["id"], sort_keys=True):  # the second George Bush
            name = f"{n['first']} {n['middle'][0]}. {n['last']}"
        p = _person(store, name, names)
        p["id"] = json.dumps(rec["id"], sort_keys=True)
        p["congress"] = False
        for t in rec["terms"]:
            p["terms"].append([ROLES[t["type"]], "US", t["start"], t.get("end", "")])
            if t["type"] == "prez" and t.get("end", "9999") >= BARE_SINCE:
                p["bare"] = True
    for rec in yaml.safe_load((shared / "legislators-current.yaml").read_text(encoding="utf-8")):
        names = _names(rec["name"])
        p = _person(store, re.sub(r"\b[A-Z]\. ", "", names[0]), names)  # "Cory A. Booker" -> "Cory Booker"
        for t in rec["terms"]:
            p["terms"].append([ROLES[t["type"]], "US", t["start"], t.get("end", "")])
    for line in (DATA / "office_holders.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = (line.split("\t") + [""] * 7)[:7]
        name, role, country, start, end, aliases, bare = cols
        p = _person(store, name, [a for a in aliases.split(";") if a])
        p["congress"] = False
        p["bare"] = p["bare"] or bare.strip() == "1"
        p["terms"].append([role, country, start, end])
    people = sorted(store.values(), key=lambda p: p["name"])
    for p in people:
        p.pop("id", None)
        p["terms"] = _merge_terms(sorted(p["terms"], key=lambda t: (t[2], t[0])))
    return people


def _merge_terms(terms: list[list[str]]) -> list[list[str]]:
    """Consecutive terms in one office become one (a senator's three terms: one span)."""
    out: list[list[str]] = []
    for t in terms:
        last = out[-1] if out else None
        if last and last[:2] == t[:2] and last[3] and last[3][:7] >= _month_before(t[2]):
            last[3] = t[3] if not t[3] or t[3] > last[3] else last[3]
        else:
            out.append(list(t))
    return out


def _month_before(day: str) -> str:
    y, m = int(day[:4]), int(day[5:7])
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y:04d}-{m:02d}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = ap.parse_args()
    people = build(args.shared)
    out = DATA / "office_terms.json"
    lines = ",\n".join(json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in people)
    out.write_text('{"_doc": "Generated by indexer/entities/build_officials.py; do not edit.",\n'
                   f'"people": [\n{lines}\n]}}\n', encoding="utf-8")
    print(f"{out}: {len(people)} people, {sum(len(p['terms']) for p in people)} terms")


if __name__ == "__main__":
    main()
