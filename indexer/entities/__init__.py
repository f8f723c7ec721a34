"""Entity extraction for the country and official facets.

``extract(title, body)`` finds country mentions (see :mod:`.countries`) and
government officials (see :mod:`.officials`) in ``text = title + "\\n\\n" + body``;
evidence offsets index into that text.  A salience rule then keeps the
countries the article is *about*, which become the article's facet values.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from ..articles import Article, Official
from . import countries as _countries
from . import officials as _officials
from .countries import country_name

__all__ = ["extract", "Extraction", "CountryHit", "OfficialHit", "tag", "country_name",
           "official_label"]

# Salience, tuned on Reuters-21578 (benchmarks/eval_entities.py): a country is
# about the article when named in the title or dateline, or mentioned at least
# MIN_MENTIONS times and at least SHARE of the most-mentioned country's count.
MIN_MENTIONS = 3
SHARE = 0.2
# A short story names its place once or twice (a dateline, "Columbus, Indiana", "Aberdeen,
# Scotland"): up to SHORT characters of body, the most-mentioned country counts with one
# mention; up to MEDIUM characters, with two, or with one when it is the only country the
# story names at all ("layoffs will begin this week in the U.S.").
SHORT = 1500
MEDIUM = 4000

Evidence = list  # [start, end, text]


@dataclass
class CountryHit:
    code: str
    name: str
    mentions: int
    evidence: list[Evidence]
    salient: bool = False

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "mentions": self.mentions,
                "evidence": [list(e) for e in self.evidence]}


@dataclass
class OfficialHit:
    name: str
    role: str
    country: str
    evidence: list[Evidence] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"name": self.name, "role": self.role, "country": self.country,
                "evidence": [list(e) for e in self.evidence]}

    def official(self) -> Official:
        return Official(self.name, self.role, self.country)


@dataclass
class Extraction:
    """What ``extract`` found: every mentioned country (salient ones flagged) and officials."""

    countries: list[CountryHit]
    officials: list[OfficialHit]

    def to_json(self) -> dict:
        return {"countries": [c.to_json() for c in self.countries if c.salient],
                "officials": [o.to_json() for o in self.officials]}

    def country_codes(self) -> tuple[str, ...]:
        """The countries the article is about, most mentioned first."""
        return tuple(c.code for c in self.countries if c.salient)

    def official_list(self) -> tuple[Official, ...]:
        return tuple(o.official() for o in self.officials)


def extract(title: str, body: str, *, year: int | None = None,
            published: str | date | datetime | None = None) -> Extraction:
    """Countries and officials of one article.

    ``published`` (the publication date, or ``year`` alone) maps successor states to the
    historical state of the time ("Moscow" in 1987 is SU, in 2024 RU) and resolves each
    official's role on that date (a 2019 story's "Joe Biden" is a former Vice President).
    """
    when = _iso_date(published)
    if when and year is None:
        year = int(when[:4])
    title, body = title or "", body or ""
    text = f"{title}\n\n{body}"
    mentions, line = _countries.find(text, len(title), year)
    main = _main_country(mentions, line)
    found = _officials.find(text, mentions, main, year, line.code if line else "", when)
    hits = _country_hits(mentions, len(title), line, len(body),
                         _countries.team_mentions(text, mentions)
                         | _countries.envoy_destinations(text, mentions),
                         {o.country for o in found if o.country})
    return Extraction(hits, [OfficialHit(o.name, o.role, o.country, o.evidence) for o in found])


def _iso_date(published) -> str | None:
    """"2019-11-19" from a date, a datetime or an ISO string (date or date-time); None if absent."""
    if published is None or published == "":
        return None
    if isinstance(published, (date, datetime)):
        return published.isoformat()[:10]
    text = str(published).strip()
    date.fromisoformat(text[:10])  # ValueError on a malformed date
    return text[:10]


def _main_country(mentions, line) -> str:
    if line is not None:
        return line.code
    counts = Counter(m.code for m in mentions)
    return counts.most_common(1)[0][0] if counts else ""


def _country_hits(mentions, title_len: int, line, body_len: int = 0,
                  teams: set[int] = frozenset(), official_codes: set[str] = frozenset()) -> list[CountryHit]:
    """Salience over the mentions; ``teams`` (starts of mentions that do not make a story
    about their country: national teams in a results text, an envoy's destination) are kept
    as evidence but not counted, except in the title.  Of several countries mentioned
    equally often, the one whose official the story names is the most mentioned
    (``official_codes``: "the New York state attorney general" beside one "Chinese")."""
    by_code: dict[str, list] = {}
    for m in mentions:
        by_code.setdefault(m.code, []).append(m)
    counted = {code: [m for m in ms if m.start < title_len or m.start not in teams]
               for code, ms in by_code.items()}
    top = max((len(v) for v in counted.values()), default=0)
    tops = [c for c, v in counted.items() if len(v) == top]
    if len(tops) > 1 and len(set(tops) & official_codes) == 1:
        tops = sorted(set(tops) & official_codes)
    short_min = 1 if body_len <= SHORT else 2 if body_len <= MEDIUM else MIN_MENTIONS
    if len(counted) == 1 and body_len <= MEDIUM:  # the only country the story names at all
        short_min = 1
    hits = []
    for code, ms in by_code.items():
        n = len(counted[code])
        salient = (any(m.start < title_len for m in ms)
                   or (line is not None and line.code == code)
                   or (n >= MIN_MENTIONS and n >= SHARE * top)
                   or (tops == [code] and n + (code in official_codes) >= short_min))
        hits.append(CountryHit(code, country_name(code), len(ms),
                               [[m.start, m.end, m.text] for m in sorted(ms, key=lambda m: m.start)],
                               salient))
    hits.sort(key=lambda h: (-h.mentions, h.code))
    return hits


def tag(article: Article) -> Article:
    """The article with its ``countries`` and ``officials`` facets filled in."""
    ex = extract(article.title, article.body, published=article.published)
    return article.with_entities(ex.country_codes(), ex.official_list(),
                                 {c.code: c.mentions for c in ex.countries if c.salient})


def official_label(o: Official) -> str:
    """"Lloyd Austin — Defense Secretary, US"; missing parts are left out."""
    detail = ", ".join(p for p in (o.role, o.country) if p)
    return f"{o.name} \u2014 {detail}" if detail else o.name
