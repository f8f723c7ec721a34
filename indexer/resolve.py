"""Filter values as people type them, resolved to what the index holds.

``country``: an ISO code ("SA"), an alpha-3 code ("SAU"), a name or common form
("Saudi Arabia", "saudi arabia", "Britain", "USSR") all give the code.  ``official``:
the canonical name, an alias ("King Fahd") or a surname the gazetteer knows ("nazer")
give the canonical name.  ``SearchRequest.from_params`` calls ``country`` and
``official`` (so the CLI and the web resolve alike); ``SearchService.search`` calls
``check_known`` when a search finds nothing, so a value the index has never seen is a
clear error naming the closest values instead of a silent "0 articles".
"""
from __future__ import annotations

import difflib
import json
import unicodedata
from functools import cache

import pycountry

from .entities import country_name
from .entities import countries as _countries
from .entities import officials as _officials
from .errors import BadRequest

SUGGESTIONS = 3


def fold(text: str) -> str:
    """Lower case, no accents, no dots, single spaces, no leading "the"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    text = " ".join(text.replace(".", "").replace("-", " ").split())
    return text[4:] if text.startswith("the ") else text


def _known_code(code: str) -> bool:
    return country_name(code) != code.upper()


@cache
def _country_forms() -> dict[str, str]:
    """Folded name or common form -> country code."""
    d = _countries.data()
    forms: dict[str, str] = {}
    for code, variants in d["variants"].items():
        for v in variants:
            forms.setdefault(fold(v), code)
    for table in (d["short_names"], d["historic_names"]):
        for code, name in table.items():
            forms[fold(name)] = code
    for name, code in _countries._pycountry_names().items():
        forms.setdefault(fold(name), code)
    return {k: v for k, v in forms.items() if k}


def country(value: str) -> str:
    """The code for ``value``; an unknown two-letter value is kept as a code (the index
    may hold codes pycountry lacks; ``check_known`` judges it).

    :raise BadRequest: neither a code nor a name, with the closest names.
    """
    text = value.strip()
    if len(text) == 2 and text.isalpha() and _known_code(text):
        return text.upper()
    if len(text) == 3 and text.isalpha():
        found = pycountry.countries.get(alpha_3=text.upper())
        if found is not None:
            return found.alpha_2
    code = _country_forms().get(fold(text))
    if code:
        return code
    if len(text) == 2 and text.isalpha():
        return text.upper()
    raise BadRequest(f"no country {text!r}{_did_you_mean(_country_suggestions(text))}")


def _country_suggestions(text: str, codes: list[str] | None = None) -> list[str]:
    """The closest countries to ``text`` as "Name (CODE)", among ``codes`` if given."""
    forms = _country_forms()
    if codes is not None:
        allowed = set(codes)
        forms = {k: v for k, v in forms.items() if v in allowed}
        forms.update({fold(country_name(c)): c for c in codes})
        forms.update({c.casefold(): c for c in codes})
    names = difflib.get_close_matches(fold(text), list(forms), n=10, cutoff=0.5)
    picked = list(dict.fromkeys(forms[n] for n in names))[:SUGGESTIONS]
    return [f"{country_name(c)} ({c})" for c in picked]


@cache
def _official_forms() -> dict[str, str]:
    """Folded canonical name, alias or unambiguous surname -> canonical name."""
    terms = json.loads((_officials.DATA_DIR / "office_terms.json").read_text(encoding="utf-8"))
    people = [(p["name"], p.get("aliases", []), p.get("surname"))
              for p in [*_officials.data()["known"],
                        *(p for p in terms["people"] if not p.get("congress"))]]
    forms: dict[str, str] = {}
    surnames: dict[str, set[str]] = {}
    for name, aliases, surname in people:
        forms.setdefault(fold(name), name)
        for alias in aliases:
            forms.setdefault(fold(alias), name)
        last = fold(surname or name.split()[-1])
        surnames.setdefault(last, set()).add(name)
    for last, names in surnames.items():
        if len(names) == 1:
            forms.setdefault(last, next(iter(names)))
    return forms


def official(value: str) -> str:
    """The canonical name for ``value`` (an alias or surname the gazetteer knows); any
    other value is kept as given (``check_known`` judges it against the index)."""
    text = value.strip()
    return _official_forms().get(fold(text), text)


def _official_suggestions(text: str, names: list[str]) -> list[str]:
    key = fold(text)
    by_fold = {fold(n): n for n in names}
    found = [n for n in names if key and key in fold(n).split()]  # a surname or given name
    found += [by_fold[k] for k in difflib.get_close_matches(key, list(by_fold), n=5, cutoff=0.6)]
    last = {fold(n).split()[-1]: n for n in names if n.strip()}
    found += [last[k] for k in difflib.get_close_matches(key, list(last), n=5, cutoff=0.75)]
    return list(dict.fromkeys(found))[:SUGGESTIONS]


def _did_you_mean(suggestions: list[str]) -> str:
    return f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""


def check_known(req, facets: dict[str, list[str]]) -> None:
    """Raise for a country or official value the index has never seen.

    :param facets: every value of the ``country`` and ``official`` facets in the index.
    :raise BadRequest: naming the value and the closest ones the index holds.
    """
    codes = facets.get("country", [])  # most articles first
    for code in req.country:
        if code not in codes and not _known_code(code):
            close = _country_suggestions(code, codes)
            raise BadRequest(f"no country {code!r}" + (_did_you_mean(close) if close else
                             _for_example([f"{country_name(c)} ({c})" for c in codes])))
    names = facets.get("official", [])
    for name in req.official:
        if name not in names:
            close = [repr(s) for s in _official_suggestions(name, names)]
            raise BadRequest(f"no official {name!r} in the index" + (
                _did_you_mean(close) if close else _for_example([repr(n) for n in names])))


def _for_example(values: list[str]) -> str:
    return f"; it has e.g. {', '.join(values[:SUGGESTIONS])}" if values else ""

