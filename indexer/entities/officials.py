"""Government officials: role patterns, appositives, known officials, surname links.

Found by
- a role before a name: "Israeli Defense Minister Yoav Gallant", "President Reagan",
  "Pentagon Spokesman Maj.-Gen. Patrick Ryder", "U.S. Trade Representative Clayton Yeutter";
- an appositive: "Kiichi Miyazawa, the finance minister,", "Steve Clarke, deputy associate
  administrator for exploration in NASA's science mission directorate,";
- an appointment: "Chad Wolf has been named new DHS acting secretary";
- an aide's principal: "Jennifer Williams, a top national security aide to Vice President Pence"
  (the aide takes the principal's country);
- an institution the text names in full and then by acronym ("CPUC President Marybel Batjer"),
  or a public body in lower case after a place ("deputy director of Inner Mongolia's disease
  prevention and control centre");
- the small list of well-known officials in data/officials.json (full names, and
  surnames marked "bare" such as "Reagan" or "Biden").
Later mentions by surname ("Austin", "Gallant") or by title ("the minister", "the
U.S. president") link to the full name and add evidence.

One person is one facet value across the corpus: names are compared by a key
that ignores case, diacritics, hyphens, middle initials and doubled letters
(:func:`name_key`), so "James A. Baker", "Karl-Otto Poehl" and "Petriccioli"
reach the known official's canonical name, role and country; roles are
normalised to one spelling (:func:`canonical_role`: "Defence Minister" ->
"Defense Minister", "Minister of Energy" -> "Energy Minister").  International
officials (UN, IMF, EC, NATO, OPEC ...) get their institution's role and no country.

A role such as Chairman, Spokesman or Governor counts only after an institution
("Fed Chairman", "Pentagon Spokesman") or a country word ("Israeli"), so
"Exxon Chairman Lee Raymond" is not an official; neither is "analyst John Smith".
The role's country comes from that qualifier, else the known official, else the
role's usual country ("Treasury Secretary" -> US), else the article's main country.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from . import countries as _countries
from .countries import DATA_DIR, Mention, trie_pattern

_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_LO = "a-z\u00df-\u00f6\u00f8-\u00ff"
_TOKEN = (rf"(?:(?:al-|el-|[dD]['\u2019]|O['\u2019])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:['\u2019][{_UP}][{_LO}]+)?"
          rf"(?:-[{_UP}]?[{_LO}]+)*|[{_UP}]\.)")
_PARTICLE = r"(?:de|da|du|van|von|der|den|al|bin|ben|el|la|le|del|della|di|dos|das|ter)"
NAME = rf"{_TOKEN}(?:\s(?:{_PARTICLE}\s)*{_TOKEN}){{0,3}}"

# Roles that name a non-government post too ("company president"): need a qualifier
# when written lower case or in an appositive.
_LOOSE_HEADS = {"president", "vice president", "chancellor", "governor", "gov.", "speaker",
                "chief of staff", "budget director", "secretary general",
                "secretary-general", "general secretary", "ambassador", "king", "queen",
                "emperor", "shah", "pope", "sen.", "rep.", "special counsel", "special prosecutor",
                "comptroller"}


# words that may stand between a name's comma, or a qualifier, and the role: "Kurt Volker, the
# former special envoy", "Hong Kong's new police commissioner", "another top NSC aide"
_MODIFIERS = ("former", "new", "top", "senior", "then", "current", "incumbent", "outgoing",
              "interim", "longtime", "principal", "deputy", "acting", "chief")
# of those, the ones that are part of the role: "the principal deputy White House press secretary"
_ROLE_MODIFIERS = {"principal", "deputy", "acting", "chief"}
_MODIFIER = rf"(?:{'|'.join(_MODIFIERS)})"


@dataclass
class Found:
    name: str
    role: str
    country: str
    evidence: list[list] = field(default_factory=list)


@cache
def data() -> dict:
    return json.loads((DATA_DIR / "officials.json").read_text(encoding="utf-8"))


@cache
def dated() -> dict:
    """The dated office-holder table (data/office_terms.json, built by build_officials.py):
    people by name key, and one regex for the forms that name them alone (full names and
    aliases of all but Congress-only members, surnames of "bare" people)."""
    people = json.loads((DATA_DIR / "office_terms.json").read_text(encoding="utf-8"))["people"]
    by_key: dict[str, list[dict]] = {}
    forms: dict[str, list[dict]] = {}
    for p in people:
        for n in [p["name"]] + p["aliases"]:
            by_key.setdefault(name_key(n), [])
            if p not in by_key[name_key(n)]:
                by_key[name_key(n)].append(p)
            if not p["congress"] and " " in n:
                forms.setdefault(n, []).append(p)

        if p["bare"]:
            forms.setdefault(p.get("surname") or surname(p["name"]), []).append(p)
    pattern = rf"(?<![\w-])(?:{trie_pattern(forms)})(?![\w-])"
    return {"by_key": by_key, "forms": forms, "scan": re.compile(pattern)}


_LEGISLATIVE = {"Senator", "Representative"}
# titles a legislator holds inside the chamber: with a sitting member's surname they name him
_CHAMBER_TITLES = {"Chairman", "Ranking Member", "Leader", "Majority Leader", "Minority Leader", "Whip"}


def dated_role(person: dict, when: str | None, year: int | None) -> tuple[str, str] | None:
    """(role, country) ``person`` held on ``when`` (ISO date) or in ``year``: the office held
    then (an executive office before a seat in Congress, then the latest begun), else
    "former <role>" of the last office left before, else None (not yet in office)."""
    if when is None and year is None:
        return None
    def covers(t) -> bool:
        if when:
            return t[2] <= when and (not t[3] or when < t[3])
        return int(t[2][:4]) <= year <= (int(t[3][:4]) if t[3] else 9999)
    def before(t) -> bool:
        return bool(t[3]) and (t[3] <= when if when else int(t[3][:4]) < year)
    now = [t for t in person["terms"] if covers(t)]
    if now:
        t = max(now, key=lambda t: (t[0] not in _LEGISLATIVE, t[2]))
        return t[0], t[1]
    past = [t for t in person["terms"] if before(t)]
    if past:
        t = max(past, key=lambda t: t[3])
        return f"former {t[0]}", t[1]
    return None


def _dated_person(name: str, when: str | None, year: int | None) -> tuple[dict, tuple[str, str]] | None:
    """The dated entry a name refers to on that date, with its role; a name shared by
    several people ("George Bush") goes to the one in office then, else the last to leave."""
    best = None
    for p in dated()["by_key"].get(name_key(name), []):
        r = dated_role(p, when, year)
        if r and (best is None or (best[1][0].startswith("former ") and not r[0].startswith("former "))):
            best = (p, r)
    return best


@cache
def _dated_surnames() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ps in dated()["by_key"].values():
        for p in ps:
            lst = out.setdefault(name_key(p.get("surname") or surname(p["name"])), [])
            if p not in lst:
                lst.append(p)
    return out


def _dated_by_title(name: str, role: str, when: str | None, year: int | None) -> dict | None:
    """"Vice President Pence", "Chairman Schiff": the one person of the dated table with that
    surname who held an office of that title on the date, else the one who had held it
    before ("Russia's President Medvedev" in 2019, then Prime Minister), else None."""
    if not (when or year) or not role or " " in name.strip() or role.startswith("former "):
        return None
    want = canonical_role(role)
    head = want.split()[-1]

    def fits(held: str) -> bool:
        held = canonical_role(held)
        return held == want or (want == head and held.split()[-1] == head)

    people = _dated_surnames().get(name_key(name), [])
    hits = []
    for p in people:
        r = dated_role(p, when, year)
        if r is not None and not r[0].startswith("former ") and fits(r[0]):
            hits.append(p)
    if not hits and want in _CHAMBER_TITLES:  # "Chairman Schiff": a sitting member of Congress
        hits = [p for p in people if (r := dated_role(p, when, year)) and r[0] in _LEGISLATIVE]
    if not hits:  # "Russia's President Medvedev" in 2019: the one who held that office before
        hits = [p for p in people if dated_role(p, when, year) is not None
                and any(fits(t[0]) for t in p["terms"])]
    return hits[0] if len(hits) == 1 else None


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _cases(phrases) -> set[str]:
    """A role as written, lower case, and capitalised: "Defense Minister", "defense minister"."""
    out = set()
    for ph in phrases:
        out |= {ph, ph.lower(), ph[:1].upper() + ph[1:].lower()}
    return out


def name_key(name: str) -> str:
    """A spelling-blind key: "James A. Baker" / "JAMES BAKER" -> "james baker",
    "Karl-Otto Pöhl" -> "karl oto pohl", "Petriccioli" == "Petricioli"."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\b[a-z]\.|\b(?:jr|sr|iii|ii)\b\.?", " ", s)  # initials, "Jr.", "III"
    s = re.sub(r"[-'\u2019.]", " ", s)
    s = re.sub(r"(.)\1+", r"\1", s)
    return " ".join(s.split())


_PARTICLES = frozenset(_PARTICLE[3:-1].split("|"))
_CAMEL = re.compile(rf"[{_LO}][{_UP}]")


def canonical_case(name: str) -> str:
    """One spelling of a name whatever the article's casing: "Kim Mahn-Je" and "Kim
    Mahn-je" -> "Kim Mahn-je", "Ronnie De Mel" and "Ronnie de Mel" -> "Ronnie de Mel".

    Decided by the name's letters alone (the same for any casing of them), word by word:
    a particle inside the name lower case ("de", "van", "bin"); a word capitalised, and
    each part after a hyphen too ("Jean-Bernard", "Buchanan-Smith"), except "al-"/"el-"
    ("al-Sabah") and the second syllable of an East Asian given name: a two-word name of
    a surname of up to five letters and a given name of two syllables of up to five
    letters each ("Chun Doo-hwan", "Kim Il-sung", "Wang Chien-shien"); "O'" and "Mc"
    take a capital after them ("O'Brien", "McCain"), "d'" is lower case inside a name.
    One exception, as written: a capital inside a word after a lower-case letter is part
    of the name's spelling, not of the article's casing ("MacSharry", "DiBona")."""
    words = name.split()
    out = []
    for i, word in enumerate(words):
        low = word.lower()
        if 0 < i < len(words) - 1 and low in _PARTICLES:
            out.append(low)
            continue
        parts = word.split("-")
        syllables = (len(words) == 2 and i == 1 and len(parts) == 2 and len(words[0]) <= 5
                     and all(len(p) <= 5 for p in parts) and parts[0].lower() not in ("al", "el"))
        spelled = []
        for j, part in enumerate(parts):
            if j < len(parts) - 1 and part.lower() in ("al", "el"):
                spelled.append(part.lower())
            elif j and syllables:
                spelled.append(part.lower())
            else:
                spelled.append(_capitalised(part, inside=i > 0 or j > 0))
        out.append("-".join(spelled))
    return " ".join(out)


def _capitalised(part: str, inside: bool) -> str:
    low = part.lower()
    if len(low) > 2 and low[1] in "'\u2019" and low[0] in "od":  # O'Brien, d'Estaing
        head = "O" if low[0] == "o" else ("d" if inside else "D")
        return head + low[1] + _capitalised(part[2:], True)
    if _CAMEL.search(part):
        return part[:1].upper() + part[1:]
    if low.startswith("mc") and len(low) > 2:
        return "Mc" + low[2].upper() + low[3:]
    return low[:1].upper() + low[1:]


_HEADS = {"Minister", "Secretary", "Commissioner", "Undersecretary"}


def canonical_role(role: str) -> str:
    """One spelling per role: "Minister of Energy" -> "Energy Minister", "Defence" ->
    "Defense", "Federal Reserve Board Chairman" -> "Fed Chairman", "Treasury Assistant
    Secretary" -> "Assistant Treasury Secretary" (tables: data role_words, role_head_words, portfolio_words, role_aliases)."""
    d = data()
    role = " ".join(role.split())
    m = re.fullmatch(r"(.*?)\b(Minister|Secretary|Commissioner)\s+(?:of|for)\s+(?:the\s+)?(.+)", role)
    if m and m.group(3) not in ("State", "Exchequer", "the Exchequer"):
        role = f"{m.group(1)}{m.group(3)} {m.group(2)}"
    role = re.sub(r"\bVice-[Pp]resident\b", "Vice President", role)
    words = role.split()
    role = " ".join(d["role_words"].get(w, w) for w in words[:-1]) + " " + d["role_head_words"].get(words[-1], words[-1])
    role = " ".join(d["portfolio_words"].get(w, w) if nxt in _HEADS else w
                    for w, nxt in zip(role.split(), role.split()[1:] + [""]))
    # the head of a department or ministry is its secretary or minister: "Homeland Security
    # Department Acting Secretary" -> "Acting Homeland Security Secretary"
    role = re.sub(r"^(.+) (?:Department|Ministry) ((?:Deputy |Assistant |Acting |Vice |Under )?(?:Minister|Secretary))$", r"\1 \2", role)
    m = re.fullmatch(r"(.+?) (Deputy|Assistant|Vice|Acting) (Minister|Secretary)", role)
    if m:
        role = f"{m.group(2)} {m.group(1)} {m.group(3)}"
    role = re.sub(r"^Vice (?=\w+ Minister$)", "Deputy ", role)
    role = re.sub(r"^Under (.+) Secretary$", r"\1 Undersecretary", role)
    return d["role_aliases"].get(role, role)


@cache
def _patterns() -> dict:
    """Compiled regexes and lookup tables, built once."""
    d = data()
    portfolio_roles = {f"{p} {h}" for p in d["portfolio"] for h in d["portfolio_heads"]}
    portfolio_roles |= {f"{h} of {p}" for p in d["portfolio"] for h in ("Minister", "Secretary")}
    portfolio_roles |= {f"{h} for {p}" for p in d["portfolio"] for h in ("Minister", "Secretary")}
    hon = rf"(?:(?:{_alt(d['honorifics'])})\s+)?"
    insts = _alt(d["institutions"])
    return {
        "role": re.compile(rf"(?<![\w.-])(?:{_role_pattern(d)})(?![\w-])"),
        "name_after": re.compile(rf"\s*,?\s+{hon}(?P<name>{NAME})(?![\w-])"),
        # "James P. Kennedy Jr., the U.S. Attorney", "Kevin McAleenan, who was the acting director"
        "name_before": re.compile(rf"(?<![\w.-])(?P<name>{NAME})(?:,?\s+(?:Jr|Sr)\.)?\s*,\s+"
                                  rf"(?:who\s+(?P<was>is|was)\s+)?(?:the\s+|a\s+|an\s+|another\s+)?"
                                  rf"(?P<mods>(?:{_MODIFIER}\s+){{0,3}})$"),
        # "Chad Wolf has been named new DHS acting secretary", "Ursula von der Leyen was elected
        # Commission president": the role an appointment gave the name before it
        "name_named": re.compile(rf"(?<![\w.-])(?P<name>{NAME})\s+(?:(?:has|have|had)\s+been\s+|was\s+|is\s+|"
                                 rf"were\s+)?(?:named|appointed|elected|re-elected|reelected|sworn\s+in\s+as|"
                                 rf"confirmed\s+as|installed\s+as|promoted\s+to)\s+(?:as\s+)?(?:the\s+|a\s+|an\s+)?"
                                 rf"(?P<mods>(?:{_MODIFIER}\s+){{0,3}})$"),
        # what may follow the role of an appointment: "was appointed finance minister on Tuesday"
        "named_end": re.compile(r"\s+(?:on|in|last|this|after|earlier|by|to\s+replace|to\s+succeed|"
                                r"replacing|succeeding)\b"),
        # an aide's or adviser's principal: "aide to Vice President Pence", "adviser to the Prime Minister"
        "to_official": re.compile(r"\s+(?:to|for)\s+(?:the\s+)?(?:then-|former\s+)?(?:President|Vice\s+President|"
                                  r"Prime\s+Minister|Chancellor|Premier|Governor|Gov\.|Senator|Sen\.|Rep\.|"
                                  r"Secretary\s+of\s+State|Mayor|King|Queen|Speaker|House\s+Speaker)\b"),
        "name_before_aide": re.compile(rf"(?<![\w.-])(?P<name>{NAME})\s*,\s+(?:who\s+(?P<was>is|was)\s+)?"
                                       rf"(?:the\s+|a\s+|an\s+|another\s+)?(?P<mods>(?:{_MODIFIER}\s+){{0,3}})"
                                       rf"(?:[a-z][\w-]*\s+){{0,3}}$"),
        "appos_end": re.compile(r"\s*[,.;)]|\s+(?:who|and|said|told|was|is|has|had|says)\b"),
        # after an appositive's role: "to Ukraine", "for the Western District of New York"
        "appos_tail": re.compile(r"\s+(?:to|for|of|in|on)\s+(?:the\s+)?[A-Z][\w.'\u2019-]*"
                                 r"(?:\s+(?:of\s+|and\s+)?[A-Z][\w.'\u2019-]*){0,5}"),
        # "ambassador to Britain Liu Xiaming", "Ambassador to the European Union Gordon Sondland"
        "to_place": re.compile(rf"\s+to\s+(?:the\s+)?(?:(?P<inst>{insts})(?![\w-]))?"),
        # "deputy director of Inner Mongolia's disease prevention and control centre", "head of
        # the city's health commission": a public body named in lower case after a place's
        "of_public_body": re.compile(r"\s+(?:of|at)\s+(?:the\s+)?(?:(?:[A-Z][\w.-]*\s+){0,3}[A-Z][\w.-]*|city|"
                                     r"state|province|provincial|country|region|county)['\u2019]s\s+(?:[a-z][\w-]*\s+){0,5}"
                                     r"(?:centre|center|agency|bureau|department|commission|ministry|authority|"
                                     r"office|council|administration|police|committee|directorate)(?![\w-])"),
        "district": re.compile(r"\s+for\s+the\s+(?:(?:Southern|Northern|Eastern|Western|Central|Middle)\s+)?"
                               r"District\s+of\s+"),
        # "EU foreign policy chief Federica Mogherini", "UN human rights chief": an institution,
        # then up to three lower-case words of its field
        "institution_topic_before": re.compile(rf"(?:^|(?<=[\s(]))(?P<inst>{insts})(?:['\u2019]s)?\s+"
                                               rf"(?P<topic>(?:[a-z][a-z-]*\s+){{1,3}})$"),
        "modifier_before": re.compile(rf"\b{_MODIFIER}\s+$"),
        "institution_before": re.compile(rf"(?:^|(?<=[\s(])|(?<=\b[Tt]hen-)|(?<=\b[Ee]x-))(?P<inst>{insts})(?:['\u2019]s)?\s+$"),
        # "president of the World Bank", "a Ukraine specialist on the National Security Council",
        # "deputy associate administrator for exploration in NASA's science mission directorate"
        "of_institution": re.compile(rf"\s+(?:for\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){{0,3}}\s+)?(?:of|at|in|on)\s+"
                                     rf"(?:the\s+)?(?P<inst>{insts})(?:['\u2019]s(?:\s+[a-z][\w-]*){{1,4}})?(?![\w-])"
                                     r"(?:\s*\([A-Z]{2,8}\))?"),
        "gov_words": re.compile(rf"(?:['\u2019]s)?\s+(?P<words>(?:(?:{_alt(d['gov_words'])})\s+){{1,4}})$"),
        "former": re.compile(r"(?:\b(?:former|Former|ex|Ex|then|Then|late|retired|onetime|one-time|fired|ousted|sacked|deposed)\b[\s-]+)$"),
        "portfolio": {r.lower() for r in portfolio_roles},
        "qualified": {r.lower() for r in d["qualified_roles"]},
        "prefixes": tuple(sorted({p.lower() + " " for p in d["role_prefixes"]}, key=lambda p: (-len(p), p))),
        "stop": set(d["name_stopwords"]),
        "company": set(d["company_words"]),
        "known": _known_index(d["known"]),
    }


def _role_pattern(d: dict) -> str:
    """Every role, as written, lower case or capitalised, optionally prefixed ("acting").

    Built from its parts ("<portfolio> <head>", "<head> of|for <portfolio>", head and
    qualified roles), each a prefix trie, rather than as one trie of every combination:
    the same language, compiled in a fraction of the time.
    """
    def spelled(case) -> str:
        portfolio, heads = trie_pattern(map(case.rest, d["portfolio"])), d["portfolio_heads"]
        whole = set(d["head_roles"]) | set(d["qualified_roles"])
        return "|".join([
            rf"(?:{trie_pattern(map(case.first, d['portfolio']))}) (?:{trie_pattern(map(case.rest, heads))})",
            rf"(?:{trie_pattern(map(case.first, ('Minister', 'Secretary')))}) (?:of|for) (?:{portfolio})",
            trie_pattern(map(case.first, whole)),
        ])

    roles = "|".join(f"(?:{spelled(case)})" for case in _CASES)
    return rf"(?:(?:{trie_pattern(d['role_prefixes'])}) )?(?:{roles})"


@dataclass(frozen=True)
class _Case:
    """How a phrase's first part and the rest are spelled in one of _cases' forms."""

    first: Callable[[str], str]
    rest: Callable[[str], str]


_CASES = (
    _Case(lambda s: s, lambda s: s),                                    # as written
    _Case(lambda s: s, str.lower),                     # "the Health and Human Services secretary"
    _Case(str.lower, str.lower),                                        # lower case
    _Case(lambda s: s[:1].upper() + s[1:].lower(), str.lower),          # capitalised
)


def _known_index(known: list[dict]) -> dict:
    """Lookups for the known officials: by name key (full name or alias), by surname key,
    and one regex for the forms that name them alone (full names, aliases, bare surnames)."""
    by_key: dict[str, dict] = {}
    by_surname: dict[str, list[dict]] = {}
    forms: dict[str, dict] = {}
    for k in known:
        by_key[name_key(k["name"])] = k
        forms[k["name"]] = k
        for alias in k.get("aliases", []):
            by_key.setdefault(name_key(alias), k)
            forms[alias] = k
        sur = k.get("surname") or surname(k["name"])
        by_surname.setdefault(name_key(sur), []).append(k)
        if k.get("bare"):
            forms[sur] = k
    pattern = rf"(?<![\w-])(?:{trie_pattern(forms)})(?![\w-])"
    lower = {f.lower(): k for f, k in forms.items()}
    return {"by_key": by_key, "by_surname": by_surname, "lower": lower,
            "scan": re.compile(pattern), "scan_ci": re.compile(pattern, re.I)}


def surname(name: str) -> str:
    """"Yoav Gallant" -> "Gallant"; "Barend du Plessis" -> "du Plessis"; "Subroto" -> itself."""
    tokens = name.split()
    for i, t in enumerate(tokens[1:], 1):
        if re.fullmatch(_PARTICLE, t.lower()) and i < len(tokens) - 1:
            return " ".join(tokens[i:])
    return tokens[-1]


def _inst_label(inst: str) -> str:
    """An institution as it stands before a role: "Department of Homeland Security" ->
    "Homeland Security Department", "Ministry of Health" -> "Health Ministry"."""
    m = re.fullmatch(r"(Department|Ministry) of (?:the )?(.+)", inst)
    return f"{m.group(2)} {m.group(1)}" if m else inst


def _title(role: str) -> str:
    small = {"of", "the", "and", "for"}
    return " ".join(w if w in small or w[:1].isupper() else w.capitalize() for w in role.split())


def _clean_name(name: str) -> str:
    """Cut the name at a stop word ("Reagan Monday") or a place ("Reagan Japan"),
    drop trailing initials and particles."""
    p = _patterns()
    tokens: list[str] = []
    for t in name.split():
        if t in p["company"]:
            return ""  # "Premier Auction Services", "Treasurer Smith Corp" name no person
        if t in p["stop"] or (tokens and _countries.gazetteer().get(t)
                              and not re.fullmatch(_PARTICLE, tokens[-1].lower())):
            break
        tokens.append(t)
    while tokens and (re.fullmatch(r"[A-Z]\.", tokens[-1]) or re.fullmatch(_PARTICLE, tokens[-1].lower())):
        tokens.pop()
    while len(tokens) > 2 and tokens[0] in _RANKS:  # "Lt Col Alexander Vindman", "Dr. Jane Roe"
        tokens.pop(0)
    return " ".join(tokens)


# ranks and courtesy titles before a name that is followed by its role ("Lt Col Alexander
# Vindman, a Ukraine specialist"): not part of the name
_RANKS = {"Lt", "Lt.", "Col", "Col.", "Lieutenant", "Colonel", "Gen", "Gen.", "General", "Maj", "Maj.",
          "Major", "Brig.", "Adm.", "Admiral", "Capt.", "Captain", "Sgt.", "Dr.", "Dr", "Mr.", "Mrs.",
          "Ms.", "Mr", "Mrs", "Ms", "Sir", "Dame", "Rev.", "Sheikh"}


def _qualifier(text: str, start: int, mention_ends: dict[int, Mention]) -> tuple[str, str, int] | None:
    """What stands right before a role: (institution or "", country, its start).

    An institution ("Bundesbank", "IMF"), a country word ("Israeli", "Saudi Arabia's"),
    or a country word and a few government words ("Swiss National Bank", "Brazilian
    Coffee Institute"), which then become part of the role.
    """
    p = _patterns()
    w0 = max(0, start - 60)
    mod = p["modifier_before"].search(text, max(0, start - 20), start)
    if mod:  # "Hong Kong's new police commissioner"
        start = mod.start()
    m = p["institution_before"].search(text, w0, start)
    if m:
        inst = m.group("inst")
        country = data()["institutions"][inst] or (_countries.gazetteer().get(inst) or "")
        at = m.start("inst")
        for gap in (1, 2, 3, 4):  # "Turkey's National Security Council": that country's
            mention = mention_ends.get(at - gap)
            if mention and country != "*" and re.fullmatch(r"(?:['\u2019]s)?\s+", text[mention.end:at]):
                return inst, mention.code, mention.start
        return inst, country, _institutions_start(text, at)
    for gap in (1, 2, 3, 4):  # "Israeli Defense", "Saudi Arabia's oil minister"
        mention = mention_ends.get(start - gap)
        if mention and re.fullmatch(r"(?:['\u2019]s)?\s+", text[mention.end:start]):
            i = p["institution_before"].search(text, max(0, mention.start - 60), mention.start)
            if i and text[mention.end:start].strip() == "":  # "NSC Ukraine expert", "UN Syria envoy"
                inst = i.group("inst")
                country = data()["institutions"][inst] or (_countries.gazetteer().get(inst) or "")
                return f"{inst} {mention.text}", country, _institutions_start(text, i.start("inst"))
            return "", mention.code, mention.start
    g = p["gov_words"].search(text, w0, start)
    if g:
        mention = mention_ends.get(g.start())
        words = g.group("words").split()
        if mention and words[0][:1].isupper() and words[-1] not in ("of", "and", "the"):
            return _title(" ".join(words)), mention.code, mention.start
    st = _STATE_BEFORE.search(text, max(0, start - 30), start)
    if st:  # "state schools Superintendent Jennifer McCormick": a state's office, of the story's country
        return "", "", st.start()
    t = p["institution_topic_before"].search(text, max(0, start - 60), start)
    if t and not any(w in _NOT_TOPIC or w.endswith(("ed", "ly")) for w in t.group("topic").split()):
        inst = t.group("inst")
        country = data()["institutions"][inst] or (_countries.gazetteer().get(inst) or "")
        return f"{inst} {_title(t.group('topic'))}", country, _institutions_start(text, t.start("inst"))
    a = _ACRONYM_BEFORE.search(text, max(0, start - 12), start)
    if a:  # "CPUC President Marybel Batjer", the text having named the California Public Utilities Commission
        country = _text_acronyms(text).get(a.group("acr"))
        if country is not None:
            return a.group("acr"), country, a.start("acr")
    return None


def _institutions_start(text: str, at: int) -> int:
    """Where a run of institutions ending with the one at ``at`` starts: "the White House
    National Security Council Ukraine expert" -> at "White House"."""
    p = _patterns()
    while (i := p["institution_before"].search(text, max(0, at - 60), at)):
        at = i.start("inst")
    return at


# words after an institution that start a clause, not its field: "the EU and the chief ..."
_NOT_TOPIC = {"and", "or", "but", "the", "a", "an", "of", "to", "in", "on", "at", "for", "with", "by", "from",
              "said", "says", "is", "was", "has", "had", "will", "would", "also", "as", "that", "which", "who",
              "its", "his", "her", "their", "today", "yesterday", "tomorrow", "next", "last", "this", "week",
              "vice", "deputy", "acting", "assistant", "chief", "new", "former", "top", "senior"}
_STATE_BEFORE = re.compile(r"(?<![\w-])(?:state|State)\s+(?:(?:schools?|education|health|elections|"
                           r"public|finance|police)\s+)?$")
_ACRONYM_BEFORE = re.compile(r"(?<![\w.-])(?P<acr>[A-Z]{2,6})(?:['\u2019]s)?\s+$")
# a public body's name: capitalised words (and "of", "for", "and", "the") ending in a word
# that names a public body; its acronym is the capitals of its last words
_PUBLIC_BODY = re.compile(
    r"(?<![\w-])(?:[A-Z][\w'\u2019.-]*\s+(?:(?:of|for|and|on|the)\s+)*){1,7}"
    r"(?:Commission|Department|Agency|Authority|Board|Council|Bureau|Office|Administration|Service|"
    r"Ministry|Committee|Court|Police|Directorate|Inspectorate|Tribunal|Assembly)(?![\w-])")


@lru_cache(maxsize=8)
def _text_acronyms(text: str) -> dict[str, str]:
    """Acronyms of the public bodies the text names in full -> the body's country ("" if its
    name does not start with a place): "California Public Utilities Commission" -> CPUC: US."""
    gaz = _countries.gazetteer()
    out: dict[str, str] = {}
    for m in _PUBLIC_BODY.finditer(text):
        words = m.group().split()
        for i in range(len(words)):
            caps = [w for w in words[i:] if w[:1].isupper()]
            if len(caps) < 2:
                break
            acr = "".join(w[0] for w in caps)
            if acr in out:
                continue
            country = ""
            for j in range(len(words), i, -1):  # the longest place the name starts with
                if gaz.get(" ".join(words[i:j])):
                    country = gaz[" ".join(words[i:j])]
                    break
            out[acr] = country
    return out


_PLURAL = re.compile(rf"\b(?P<title>Sens\.|Senators|Reps\.|Representatives)\s+(?P<names>{NAME}"
                     rf"(?:,\s+{NAME})*,?\s+and\s+{NAME})")

_SENTENCE_WORDS = {"The", "Former", "Then", "But", "And", "When", "As", "Said", "Meanwhile",
                   "Earlier", "Later", "Yesterday", "Today", "If", "While", "After", "Before"}
# party words qualify a loose head without making it a company's ("Republican Gov. Eric Holcomb",
# "Kentucky GOP Gov. Matt Bevin")
_PARTY_WORDS = {"Republican", "Democratic", "Democrat", "GOP", "Labour", "Conservative", "Liberal"}


def _capitalised_word_before(text: str, start: int) -> bool:
    """True for "Exxon Chairman": a capitalised word, not a sentence word, right before."""
    m = re.search(r"(\S+)\s+$", text[max(0, start - 30):start])
    if not m:
        return False
    word = m.group(1)
    return (word[0].isupper() and word[-1] not in ".:;,\"\u201c\u201d()" and word not in _SENTENCE_WORDS
            and word not in _PARTY_WORDS)


# roles that name a government post only as an institution's ("NSC Ukraine expert"), and the
# roles that may carry a topic between a country word and "of/on/at <institution>"
_INSTITUTION_ONLY = {"expert", "specialist", "adviser", "advisor"}
_AIDE_ROLES = {"aide", "adviser", "advisor", "spokesman", "spokeswoman", "spokesperson", "chief of staff"}
_TOPIC_ROLES = _INSTITUTION_ONLY | {"director", "official", "aide", "envoy", "coordinator", "deputy director"}


def _core_role(role: str) -> str:
    """"Deputy Associate Administrator" -> "administrator": lower case, without its prefix."""
    core = role.lower()
    for pre in _patterns()["prefixes"]:
        if core.startswith(pre):
            return core[len(pre):]
    return core


def _accept_role(role: str, qualified: bool, text: str, start: int, apposition: bool) -> bool:
    p = _patterns()
    low = role.lower()
    core = low
    for pre in p["prefixes"]:  # longest first: "deputy associate administrator"
        if core.startswith(pre):
            core = core[len(pre):]
            break
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


def find(text: str, mentions: list[Mention], main_country: str, year: int | None = None,
         line_country: str = "", when: str | None = None) -> list[Found]:
    """Officials in ``text`` with their evidence spans.  ``main_country``: the article's
    dateline or most-mentioned country; ``line_country``: the dateline's, if any; ``when``:
    the published date (ISO), which resolves roles in the dated table."""
    p = _patterns()
    known = p["known"]
    ends = {m.end: m for m in mentions}
    starts: dict[int, Mention] = {}
    for m in mentions:
        if m.start not in starts or m.end > starts[m.start].end:
            starts[m.start] = m
    raw: list[tuple[int, int, str, str, str]] = []  # start, end, name, role, country

    for m in p["role"].finditer(text):
        role, rstart, rend = m.group(), m.start(), m.end()
        qual = _qualifier(text, rstart, ends)
        q0 = qual[2] if qual else rstart
        # "former Prime Minister Edward Heath", "ex-West German Chancellor Helmut Schmidt":
        # the word may stand before the role or before its qualifier
        former = bool(p["former"].search(text, max(0, rstart - 12), rstart)
                      or p["former"].search(text, max(0, q0 - 12), q0))
        of = p["of_institution"].match(text, rend)
        core = _core_role(role)
        if of and (qual is None or (not qual[0] and core in _TOPIC_ROLES)):
            inst = of.group("inst")  # "president of the World Bank"; "a Ukraine specialist on the NSC"
            country = data()["institutions"][inst] or _countries.gazetteer().get(inst) or ""
            topic = re.sub(r"['\u2019]s$", "", text[qual[2]:rstart].strip()) if qual else ""
            qual = (f"{inst} {topic}" if topic else inst, country, qual[2] if qual else rstart)
            rend = of.end()
        aide_to = core in _AIDE_ROLES and p["to_official"].match(text, rend)
        if aide_to and qual is None:  # "an aide to Vice President Pence": his principal qualifies him
            qual = ("", "", rstart)
        body = p["of_public_body"].match(text, rend) if qual is None and not of else None
        if body and core in _TOPIC_ROLES | {"head", "chief", "commissioner", "administrator"}:
            qual, rend = ("", "", rstart), body.end()
        if core in _INSTITUTION_ONLY and not (qual and qual[0]) and not aide_to:
            continue  # "a China expert", "a Russian adviser": only an institution's are officials
        dest, mods = "", []
        if role.lower().endswith(("ambassador", "envoy")):
            to = p["to_place"].match(text, rend)
            if to:  # "ambassador to Britain Liu Xiaming"
                place = starts.get(to.end())
                if to.group("inst") or place:
                    rend = to.end("inst") if to.group("inst") else place.end
                    dest = "" if to.group("inst") else place.code
        if role.lower().endswith("attorney"):  # "U.S. Attorney for the Southern District of New York Geoffrey Berman"
            district = p["district"].match(text, rend)
            place = starts.get(district.end()) if district else None
            if place and p["name_after"].match(text, place.end):
                rend = place.end
        after = p["name_after"].match(text, rend)
        if after:
            span, appos = (after.start("name"), after.end("name")), False
        else:  # "Kiichi Miyazawa, the finance minister,"
            tail = p["appos_tail"].match(text, rend)
            closed = p["appos_end"].match(text, rend) or (tail and p["appos_end"].match(text, tail.end()))
            before = p["name_before"].search(text, max(0, q0 - 100), q0) if closed else None
            if before is None and (closed or p["named_end"].match(text, rend)):
                before = p["name_named"].search(text, max(0, q0 - 100), q0)
            if before is None and aide_to:  # "Jennifer Williams, a top national security aide to ..."
                before = p["name_before_aide"].search(text, max(0, q0 - 100), q0)
            if not before:
                continue
            span, appos = (before.start("name"), before.end("name")), True
            former = former or before.groupdict().get("was") == "was"
            mods = [w for w in before.group("mods").split() if w in _ROLE_MODIFIERS]
        accepted = _accept_role(role, qual is not None, text, rstart, appos)
        if not accepted and (appos or role not in _CHAMBER_TITLES):
            continue
        name = _clean_name(text[span[0]:span[1]])
        if not accepted and not (  # "Chairman Schiff": the surname of a sitting legislator
                name and " " not in name and _dated_by_title(name, role, when, year)):
            continue
        if not name or name in _countries.gazetteer():
            continue
        if qual is None and role.lower() in ("president", "vice president") and not _is_known(name, year) \
                and _dated_by_title(name, _title(role), when, year) is None:
            continue  # "President William Wrigley" of a company; heads of state come qualified or known
        inst, country = (qual[0], qual[1]) if qual else ("", "")
        if not country and dest:  # an envoy is not of the country he is sent to
            country = _main_except(mentions, dest, line_country)
        role = _title(role)
        if inst and not inst.islower():
            role = f"{_inst_label(inst)} {role}"
        if mods:  # "the principal deputy White House press secretary"
            role = _title(" ".join(mods)) + " " + role
        at = re.compile(r"\s+".join(map(re.escape, name.split()))).search(text, span[0], span[1])
        role = canonical_role(role)
        if aide_to and not country:  # the principal's country, once he is resolved (see _merge)
            principal = re.compile(rf"\s*(?P<name>{NAME})").match(text, aide_to.end())
            country = f"@{principal.start('name')}" if principal else ""
        raw.append((at.start(), at.end(), name, f"former {role}" if former else role, country))

    # "Sens. Cory Booker and Kamala Harris", "Reps. A, B and C": each name holds the office
    for m in _PLURAL.finditer(text):
        role = "Senator" if m.group("title").startswith("Sen") else "Representative"
        for n in re.finditer(NAME, m.group("names")):
            name = _clean_name(n.group())
            if " " in name:
                at = m.start("names") + n.start()
                raw.append((at, at + len(name), name, role, ""))

    title_len = text.find("\n\n")
    title_len = len(text) if title_len < 0 else title_len
    caps_title = _countries._is_caps(text[:title_len])
    for rx, end in ((known["scan"], len(text)), (known["scan_ci"], title_len if caps_title else 0)):
        for m in rx.finditer(text, 0, end):
            k = known["lower"][m.group().lower()]
            if _valid(k, year) and not (when and _dated_person(k["name"], when, year) is None
                                        and name_key(k["name"]) in dated()["by_key"]):
                raw.append((m.start(), m.end(), k["name"], "", ""))
    if when or year:
        for m in dated()["scan"].finditer(text):
            hit = None
            for p in dated()["forms"][m.group()]:
                r = dated_role(p, when, year)
                if r and (hit is None or not r[0].startswith("former ")):
                    hit = p
            if hit is not None:
                raw.append((m.start(), m.end(), hit["name"], "", ""))

    return _merge(raw, text, mentions, main_country, line_country, year, when)


def _main_except(mentions: list[Mention], code: str, line_country: str) -> str:
    """The dateline's country, else the most-mentioned country (ties to the first
    mentioned), leaving out ``code``; "" if there is none."""
    if line_country and line_country != code:
        return line_country
    others = [m.code for m in mentions if m.code != code]
    return Counter(others).most_common(1)[0][0] if others else ""


def _is_known(name: str, year: int | None) -> bool:
    known = _patterns()["known"]
    key = name_key(name)
    cands = [known["by_key"].get(key)] + known["by_surname"].get(key, [])
    return any(k and _valid(k, year) for k in cands)


def _valid(k: dict, year: int | None) -> bool:
    """Was the known official in office (or about to be) in ``year``?"""
    return year is None or k.get("since", 0) <= year <= k.get("until", 9999)


def _canonical(name: str, role: str, full_names: list[str], year: int | None) -> dict | str:
    """A known official's entry, or the article's full name for a bare surname, or the name."""
    known = _patterns()["known"]
    key = name_key(name)
    k = known["by_key"].get(key)
    if k and _valid(k, year):
        return k
    if " " not in name.strip() or key in known["by_surname"]:
        for full in full_names:  # "Austin" -> "Lloyd Austin"; "Zhao" -> "Zhao Ziyang"
            fk = name_key(full)
            if fk != key and (fk.endswith(" " + key) or fk.startswith(key + " ")
                              or name_key(surname(full)) == key):
                k = known["by_key"].get(fk)
                return k if k and _valid(k, year) else _canonical(full, role, [], year)
        cands = [k for k in known["by_surname"].get(key, []) if _valid(k, year)
                 and (k.get("bare") or (role and canonical_role(role) == canonical_role(k["role"])))]
        if cands:
            return cands[0]
    elif role:  # "Aturo Hernandez Grisanti, Energy Minister": a known surname in the same office
        for sur, ks in known["by_surname"].items():
            if " " + sur in " " + key and key.endswith(sur):
                for k in ks:
                    if _valid(k, year) and canonical_role(role) == canonical_role(k["role"]):
                        return k
    return " ".join(t for t in name.split() if not re.fullmatch(r"[A-Z]\.", t))


def _country(role: str, country: str, main_country: str, line_country: str, mentions) -> str:
    """The country of an official found by role: the qualifier's, else the role's own
    ("Senator" -> US), else the dateline's, else the role's usual one ("Treasury Secretary"
    -> US), else the article's main country.  The United States has no ministers: a
    minister in a US story belongs to the most-mentioned other country."""
    d = data()
    if country:
        return country
    if role.endswith("Commissioner"):  # "Agriculture Commissioner Frans Andriessen": the EC's
        return "*"
    if role in d["role_country"]:
        return d["role_country"][role]
    guess = line_country or d["default_country"].get(role, "") or main_country
    if guess == "US" and re.search(r"\bMinister\b", role):
        others = [m.code for m in mentions if m.code != "US"]
        # most mentioned, ties to the first mentioned: never set order, which varies
        # with PYTHONHASHSEED
        guess = Counter(others).most_common(1)[0][0] if others else ""
    return guess


_TITLE_REF = re.compile(r"\b[Tt]he\s+(?:(?P<adj>[A-Z][\w.]*)\s+)?(?P<title>minister|secretary|president|"
                        r"chancellor|premier|governor|chairman|senator|speaker|treasurer|spokesman)\b")


def _merge(raw, text: str, mentions, main_country: str, line_country: str,
           year: int | None, when: str | None = None) -> list[Found]:
    """One Found per person: canonical names, role and country, all evidence.

    A known official takes the table's role and country (one facet value per person);
    others take the first role seen and :func:`_country`.  A one-word name is kept only
    when it is a known official or links to a full name in the article ("King World",
    "Industrial Premier" and "Sultan al-Dhahiri" are not people).  "*" (an international body) means no country.
    """
    raw.sort()
    full_names = [r[2] for r in raw if " " in r[2]]
    people: dict[str, Found] = {}
    known_of: dict[str, dict] = {}
    written: dict[str, set[str]] = {}   # each person's names as the article spells them
    for start, end, name, role, country in raw:
        d = _dated_person(name, when, year) if (when or year) and " " in name else None
        if d is None and " " not in name and not any(
                name_key(surname(f)) == name_key(name) for f in full_names):
            t = _dated_by_title(name, role, when, year)
            d = (t, dated_role(t, when, year)) if t else None
        canon = d[0]["name"] if d else _canonical(name, role, full_names, year)
        if isinstance(canon, dict):
            known_of[canon["name"]] = canon
            canon = canon["name"]
        elif " " not in canon:
            continue
        elif not d:  # a name of the text, not of the tables: one spelling, any casing
            canon = canonical_case(canon)
        written.setdefault(canon, set()).add(name)
        f = people.setdefault(canon, Found(canon, "", ""))
        f.role = f.role or role
        f.country = f.country or country
        if [start, end, text[start:end]] not in f.evidence:
            f.evidence.append([start, end, text[start:end]])

    # later mentions by surname ("Austin", "Gallant") of people found in full
    surnames = {surname(w): n for n in people if " " in n for w in sorted(written[n] | {n})
                if " " in w}
    if surnames:
        rx = re.compile(rf"(?<![\w-])(?:{_alt(surnames)})(?![\w-])")
        for m in rx.finditer(text):
            f = people[surnames[m.group()]]
            if not any(s <= m.start() < e for s, e, _ in f.evidence):
                f.evidence.append([m.start(), m.end(), m.group()])

    out = []
    for f in people.values():
        k = known_of.get(f.name)
        d = _dated_person(f.name, when, year) if (when or year) else None
        if when and name_key(f.name) in dated()["by_key"]:
            k = None  # the dated table, not the undated list, says what such a person was then
        if d is None and (when or year) and name_key(f.name) in dated()["by_key"] and not f.role:
            continue  # in the table, but not yet in office on that date: "Harris" in 2019
        if d:
            role, country = canonical_role(d[1][0].removeprefix("former ")), d[1][1]
            role = f"former {role}" if d[1][0].startswith("former ") else role
        elif k and (not f.role.startswith("former ") or canonical_role(f.role[7:]) != canonical_role(k["role"])):
            # the table's office in that year, also over a past one the text names: "former
            # Senate majority leader Howard Baker" in 1987 is the White House Chief of Staff
            role, country = canonical_role(k["role"]), k["country"]
        elif k:  # "former President Carter" in a text: the text's word wins over the table
            role, country = f.role, f.country or k["country"]
        elif f.role:
            role = f.role
            base = role.removeprefix("former ")
            country = _country(base, f.country, main_country, line_country, mentions)
        else:
            continue
        country = "" if country == "*" else _countries.era_code(country, year)
        out.append(Found(f.name, role, country, f.evidence))
    for f in out:  # an aide's country is his principal's: "an aide to Vice President Pence"
        if f.country.startswith("@"):
            at = int(f.country[1:])
            boss = next((g for g in out if g is not f and any(e[0] == at for e in g.evidence)), None)
            f.country = boss.country if boss else _countries.era_code(
                _country(f.role.removeprefix("former "), "", main_country, line_country, mentions), year)
    _link_titles(text, out)
    for f in out:
        f.evidence.sort()
    return out


def _link_titles(text: str, found: list[Found]) -> None:
    """"the minister", "the U.S. president": evidence for the one official it can mean."""
    for m in _TITLE_REF.finditer(text):
        word = m.group("title")
        adj = m.group("adj")
        code = _countries.gazetteer().get(adj) if adj else None
        if adj and not code:
            continue
        cands = [f for f in found if word in f.role.lower()
                 and (code is None or f.country == code)
                 and any(e[0] < m.start() for e in f.evidence)]
        if len(cands) == 1:
            cands[0].evidence.append([m.start(), m.end(), m.group()])
