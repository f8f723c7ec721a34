"""Government officials: role patterns, appositives, known officials, surname links.

Found by
- a role before a name: "Israeli Defense Minister Yoav Gallant", "President Reagan",
  "Pentagon Spokesman Maj.-Gen. Patrick Ryder", "U.S. Trade Representative Clayton Yeutter";
- an appositive: "Kiichi Miyazawa, the finance minister,";
- the small list of well-known officials in data/officials.json (full names, and
  surnames marked "bare" such as "Reagan" or "Biden").
Later mentions by surname ("Austin", "Gallant") link to the full name and add evidence.

A role such as Chairman, Spokesman or Governor counts only after an institution
("Fed Chairman", "Pentagon Spokesman") or a country word ("Israeli"), so
"Exxon Chairman Lee Raymond" is not an official; neither is "analyst John Smith".
The role's country comes from that qualifier, else the known official, else the
role's usual country ("Treasury Secretary" -> US), else the article's main country.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from . import countries as _countries
from .countries import DATA_DIR, Mention, trie_pattern

_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_LO = "a-z\u00df-\u00f6\u00f8-\u00ff"
_TOKEN = (rf"(?:(?:al-|el-)?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:['\u2019][{_UP}][{_LO}]+)?"
          rf"(?:-[{_UP}]?[{_LO}]+)*|[{_UP}]\.)")
_PARTICLE = r"(?:de|da|du|van|von|der|den|al|bin|ben|el|la|le|del|della|di|dos|das|ter)"
NAME = rf"{_TOKEN}(?:\s(?:{_PARTICLE}\s)*{_TOKEN}){{0,3}}"

# Roles that name a non-government post too ("company president"): need a qualifier
# when written lower case or in an appositive.
_LOOSE_HEADS = {"president", "vice president", "chancellor", "governor", "gov.", "speaker",
                "treasurer", "chief of staff", "budget director", "secretary general",
                "secretary-general", "general secretary", "ambassador", "king", "queen",
                "emperor", "shah", "pope", "sen.", "rep."}


@dataclass
class Found:
    name: str
    role: str
    country: str
    evidence: list[list] = field(default_factory=list)


@cache
def data() -> dict:
    return json.loads((DATA_DIR / "officials.json").read_text(encoding="utf-8"))


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _cases(phrases) -> set[str]:
    """A role as written, lower case, and capitalised: "Defense Minister", "defense minister"."""
    out = set()
    for ph in phrases:
        out |= {ph, ph.lower(), ph[:1].upper() + ph[1:].lower()}
    return out


@cache
def _patterns() -> dict:
    """Compiled regexes and lookup tables, built once."""
    d = data()
    portfolio_roles = {f"{p} {h}" for p in d["portfolio"] for h in d["portfolio_heads"]}
    portfolio_roles |= {f"{h} of {p}" for p in d["portfolio"] for h in ("Minister", "Secretary")}
    roles = portfolio_roles | set(d["head_roles"]) | set(d["qualified_roles"])
    prefixed = _cases(roles) | {f"{pre} {r}" for pre in d["role_prefixes"] for r in _cases(roles)}
    hon = rf"(?:(?:{_alt(d['honorifics'])})\s+)?"
    return {
        "role": re.compile(rf"(?<![\w.-])(?:{trie_pattern(prefixed)})(?![\w-])"),
        "name_after": re.compile(rf"\s+{hon}(?P<name>{NAME})(?![\w-])"),
        "name_before": re.compile(rf"(?<![\w.-])(?P<name>{NAME}),\s+(?:the\s+|a\s+)?$"),
        "appos_end": re.compile(r"\s*[,.;]|\s+(?:who|and|said|told|was|is|has)\b"),
        "institution_before": re.compile(rf"(?:^|(?<=\s))(?P<inst>{_alt(d['institutions'])})\s+$"),
        "portfolio": {r.lower() for r in portfolio_roles},
        "qualified": {r.lower() for r in d["qualified_roles"]},
        "prefixes": tuple(p.lower() + " " for p in d["role_prefixes"]),
        "stop": set(d["name_stopwords"]),
        "known": _known_index(d["known"]),
    }


def _known_index(known: list[dict]) -> dict:
    """Lookups for the known officials: by full name / alias, and by surname."""
    full: dict[str, dict] = {}
    by_surname: dict[str, list[dict]] = {}
    bare_forms: dict[str, dict] = {}
    for k in known:
        full[k["name"]] = k
        for alias in k.get("aliases", []):
            full[alias] = k
            bare_forms[alias] = k
        sur = k.get("surname") or surname(k["name"])
        by_surname.setdefault(sur, []).append(k)
        if k.get("bare"):
            bare_forms[sur] = k
    forms = list(full) + list(bare_forms)
    pattern = rf"(?<![\w-])(?:{trie_pattern(forms)})(?![\w-])"
    lower = {f.lower(): k for f, k in bare_forms.items()}
    lower.update({f.lower(): k for f, k in full.items()})
    return {"full": full, "by_surname": by_surname, "lower": lower,
            "scan": re.compile(pattern), "scan_ci": re.compile(pattern, re.I)}


def surname(name: str) -> str:
    """"Yoav Gallant" -> "Gallant"; "Barend du Plessis" -> "du Plessis"; "Subroto" -> itself."""
    tokens = name.split()
    for i, t in enumerate(tokens[1:], 1):
        if re.fullmatch(_PARTICLE, t.lower()):
            return " ".join(tokens[i:])
    return tokens[-1]


def _title(role: str) -> str:
    small = {"of", "the", "and"}
    return " ".join(w if w in small or w[:1].isupper() else w.capitalize() for w in role.split())


def _clean_name(name: str) -> str:
    """Cut the name at a stop word ("Reagan Monday"), drop trailing initials."""
    p = _patterns()
    tokens = []
    for t in name.split():
        if t in p["stop"] or (tokens and _countries.gazetteer().get(t)):
            break
        tokens.append(t)
    while tokens and (re.fullmatch(r"[A-Z]\.", tokens[-1]) or re.fullmatch(_PARTICLE, tokens[-1])):
        tokens.pop()
    return " ".join(tokens)


def _qualifier(text: str, start: int, mention_ends: dict[int, Mention]) -> tuple[str, str, int] | None:
    """What stands right before a role: (institution or "", country, its start)."""
    w0 = max(0, start - 40)
    m = _patterns()["institution_before"].search(text[w0:start])
    if m:
        inst = m.group("inst")
        country = data()["institutions"][inst] or (_countries.gazetteer().get(inst) or "")
        return inst, country, w0 + m.start("inst")
    for gap in (1, 2, 3, 4):  # "Israeli Defense", "Saudi Arabia's oil minister"
        mention = mention_ends.get(start - gap)
        if mention and re.fullmatch(r"(?:['\u2019]s)?\s+", text[mention.end:start]):
            return "", mention.code, mention.start
    return None


_SENTENCE_WORDS = {"The", "Former", "Then", "But", "And", "When", "As", "Said", "Meanwhile",
                   "Earlier", "Later", "Yesterday", "Today", "If", "While", "After", "Before"}


def _capitalised_word_before(text: str, start: int) -> bool:
    """True for "Exxon Chairman": a capitalised word, not a sentence word, right before."""
    m = re.search(r"(\S+)\s+$", text[max(0, start - 30):start])
    if not m:
        return False
    word = m.group(1)
    return word[0].isupper() and word[-1] not in ".:;,\"\u201c\u201d()" and word not in _SENTENCE_WORDS


def _accept_role(role: str, qualified: bool, text: str, start: int, apposition: bool) -> bool:
    p = _patterns()
    low = role.lower()
    core = low
    for pre in p["prefixes"]:
        if core.startswith(pre):
            core = core[len(pre):]
    if core in p["portfolio"]:
        return True
    if qualified:
        return True
    if core in p["qualified"] and core not in _LOOSE_HEADS:
        return False
    if core in _LOOSE_HEADS:
        if apposition or not role[:1].isupper():
            return False
        return not _capitalised_word_before(text, start)
    return True  # a government head role: Prime Minister, Trade Representative, ...


def find(text: str, mentions: list[Mention], main_country: str, year: int | None = None) -> list[Found]:
    """Officials in ``text`` with their evidence spans, in order of first mention."""
    p = _patterns()
    known = p["known"]
    ends = {m.end: m for m in mentions}
    raw: list[tuple[int, int, str, str, str, bool]] = []  # start, end, name, role, country, from_role

    for m in p["role"].finditer(text):
        role, rstart = m.group(), m.start()
        qual = _qualifier(text, rstart, ends)
        after = p["name_after"].match(text, m.end())
        if after:
            span, appos = (after.start("name"), after.end("name")), False
        else:  # "Kiichi Miyazawa, the finance minister,"
            if not p["appos_end"].match(text, m.end()):
                continue
            q0 = qual[2] if qual else rstart
            before = p["name_before"].search(text, max(0, q0 - 80), q0)
            if not before:
                continue
            span, appos = (before.start("name"), before.end("name")), True
        if not _accept_role(role, qual is not None, text, rstart, appos):
            continue
        name = _clean_name(text[span[0]:span[1]])
        if not name or name in _countries.gazetteer():
            continue
        if qual is None and role.lower() in ("president", "vice president") and not _is_known(name, year):
            continue  # "President William Wrigley" of a company; heads of state come qualified or known
        inst, country = (qual[0], qual[1]) if qual else ("", "")
        role = _title(role)
        if inst and not inst.islower():
            role = f"{inst} {role}"
        start = span[0] + text[span[0]:span[1]].find(name)
        raw.append((start, start + len(name), name, role, country, True))

    title_len = text.find("\n\n")
    title_len = len(text) if title_len < 0 else title_len
    caps_title = _countries._is_caps(text[:title_len])
    for rx, end in ((known["scan"], len(text)), (known["scan_ci"], title_len if caps_title else 0)):
        for m in rx.finditer(text, 0, end):
            k = known["lower"][m.group().lower()]
            if _valid(k, year):
                raw.append((m.start(), m.end(), k["name"], "", "", False))

    return _merge(raw, text, main_country, year)


def _is_known(name: str, year: int | None) -> bool:
    known = _patterns()["known"]
    cands = [known["full"].get(name)] + known["by_surname"].get(name, [])
    return any(k and _valid(k, year) for k in cands)


def _valid(k: dict, year: int | None) -> bool:
    """Was the known official in office (or about to be) in ``year``?"""
    return year is None or k.get("since", 0) <= year <= k.get("until", 9999)


def _canonical(name: str, role: str, full_names: list[str], year: int | None) -> dict | str:
    """A known official's entry, or the article's full name for a bare surname, or the name."""
    known = _patterns()["known"]
    key = " ".join(t for t in name.split() if not re.fullmatch(r"[A-Z]\.", t))
    if key in known["full"] and _valid(known["full"][key], year):
        return known["full"][key]
    if " " not in key:
        for full in full_names:
            if surname(full) == key or full.split()[-1] == key:
                k = known["full"].get(full)
                return k if k and _valid(k, year) else full
        cands = [k for k in known["by_surname"].get(key, []) if _valid(k, year)]
        if cands:
            same_role = [k for k in cands if role and role.lower().endswith(k["role"].lower())]
            return (same_role or cands)[0]
    return key


def _merge(raw, text: str, main_country: str, year: int | None) -> list[Found]:
    """One Found per person: canonical names, first role and country seen, all evidence.

    The country falls back to the known official's, then the role's usual
    country, then the article's main country; "*" (an international body) means none.
    """
    d = data()
    raw.sort()
    full_names = [r[2] for r in raw if " " in r[2]]
    people: dict[str, Found] = {}
    known_of: dict[str, dict] = {}
    for start, end, name, role, country, _ in raw:
        canon = _canonical(name, role, full_names, year)
        if isinstance(canon, dict):
            known_of[canon["name"]] = canon
            canon = canon["name"]
        f = people.setdefault(canon, Found(canon, "", ""))
        f.role = f.role or d["role_aliases"].get(role, role)
        f.country = f.country or country
        if [start, end, text[start:end]] not in f.evidence:
            f.evidence.append([start, end, text[start:end]])

    # later mentions by surname ("Austin", "Gallant") of people found in full
    surnames = {surname(n): n for n in people if " " in n}
    if surnames:
        rx = re.compile(rf"(?<![\w-])(?:{_alt(surnames)})(?![\w-])")
        for m in rx.finditer(text):
            f = people[surnames[m.group()]]
            if not any(s <= m.start() < e for s, e, _ in f.evidence):
                f.evidence.append([m.start(), m.end(), m.group()])

    out = []
    for f in people.values():
        k = known_of.get(f.name)
        role = f.role or (k["role"] if k else "")
        if not role:
            continue
        country = (f.country or (k["country"] if k else "")
                   or d["default_country"].get(role, "") or main_country)
        country = "" if country == "*" else _countries.era_code(country, year)
        out.append(Found(f.name, role, country, sorted(f.evidence)))
    return out
