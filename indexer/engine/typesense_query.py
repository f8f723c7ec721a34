"""Our query tree (:mod:`indexer.query`) -> Typesense ``filter_by`` expressions, exactly.

Typesense 0.24 has no stemming and no boolean ``q`` (no OR, no grouping), so
matching is not left to its ``q``: each article is indexed with its title and
body *analyzed by our own analyzer* (:func:`analysis.stemmed_positions`, the
one the embedded index uses: case, stop words, Porter stems) into

- ``title_terms`` / ``body_terms`` (``string[]``, each stem once): a word is the
  exact filter ``title_terms:=[`stem`]``; AND, OR and NOT become ``&&``, ``||``
  and ``:!=`` (NOT pushed down to the leaves by De Morgan's laws);
- ``title_text`` / ``body_text`` (the stems in order, space-joined): a phrase is
  Typesense's own phrase search ``q="s1 s2"`` on them, resolved to the ids that
  hold it (``aid:=[...]``), so a phrase may sit anywhere in the tree.

The tree is first shaped exactly as :mod:`.translate` shapes the Whoosh query
(stop words dropped, a multi-token word AND-ed, only-exclusion groups dropped),
so the strict matches, the "every article with any of the words" relaxation and
the exclusions are the embedded engine's, term for term.

**Exact values.**  Typesense compares strings in filters and facets after its own
normalisation: case folded, accents dropped, punctuation and symbols removed, so
``texaco*`` matches ``texaco``, ``1.1`` matches ``11``, and ``Kim Mahn-Je`` and
``Kim Mahn-je`` are one facet value.  Whoosh compares the bytes.  So nothing is
left to that normalisation: every term is stored and asked for as
:func:`term_key` (lower-case ASCII letters and digits only, injective), and every
ID-like or facet value (article and story ids, source, countries, officials) as
:func:`exact` (its UTF-8 in hex); facet values are decoded on the way back
(:func:`unexact`).  Both engines then match and count the same strings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import query as q
from .analysis import stemmed_positions

TEXT_FIELDS = ("title", "body")
_WILDCARDS = re.compile(r"[*?]")
_PLAIN = re.compile(r"[a-y0-9]+")
_ESCAPE = re.compile(r"[^a-y0-9]")
_ESCAPED = re.compile(r"z(z|[0-9a-f]+z)")


def term_key(term: str) -> str:
    """``term`` in letters Typesense keeps as they are: a-y and 0-9 stay, ``z`` is
    ``zz``, any other character ``z<hex code point>z`` (``1.1`` -> ``1z2ez1``)."""
    if _PLAIN.fullmatch(term):
        return term
    return _ESCAPE.sub(lambda m: "zz" if m.group() == "z" else f"z{ord(m.group()):x}z", term)


def term_of(key: str) -> str:
    """The term a :func:`term_key` stands for."""
    if "z" not in key:
        return key
    return _ESCAPED.sub(lambda m: "z" if m.group(1) == "z" else chr(int(m.group(1)[:-1], 16)), key)


def exact(value: str) -> str:
    """An ID or facet value as Typesense cannot fold it: its UTF-8 in hex."""
    return value.encode("utf-8", "surrogatepass").hex()


def unexact(value: str) -> str:
    """The value :func:`exact` encoded."""
    return bytes.fromhex(value).decode("utf-8", "surrogatepass")


def analyze(text: str) -> list[str]:
    """``text``'s stems in order, as the embedded index analyzes title and body."""
    poses = stemmed_positions(text)
    return [w for _, w in sorted((p, w) for w, ps in poses.items() for p in ps)]


# -- the shaped tree: translate.py's Whoosh query, engine-free ------------------------

@dataclass(frozen=True)
class Term:
    field: str
    text: str


@dataclass(frozen=True)
class Phrase:
    field: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class AndNot:
    keep: object
    drop: object


def shape(node: q.Node | None):
    """The shaped tree for ``node``; None when nothing is left to search for."""
    return _shape(node) if node is not None else None


def _shape(node):
    if isinstance(node, q.Word):
        return _either([_word(f, node.text) for f in _fields(node.field)])
    if isinstance(node, q.Phrase):
        return _either([_phrase(f, node.words) for f in _fields(node.field)])
    if isinstance(node, q.Exclude):
        child = _shape(node.child)
        return Not(child) if child is not None else None
    parts = [p for p in (_shape(c) for c in node.children) if p is not None]
    if not parts:
        return None
    if isinstance(node, q.Any):
        return _either(parts)
    positive = [p for p in parts if not isinstance(p, Not)]
    negative = [p.child for p in parts if isinstance(p, Not)]
    if not positive:
        return None
    kept = positive[0] if len(positive) == 1 else And(tuple(positive))
    if not negative:
        return kept
    return AndNot(kept, negative[0] if len(negative) == 1 else Or(tuple(negative)))


def _fields(field):
    return (field,) if field else TEXT_FIELDS


def _tokens(field: str, text: str) -> list[str]:
    text = _WILDCARDS.sub(" ", text)
    if field == "source":          # an ID field: the whole value, as typed
        return [text] if text else []
    return analyze(text)


def _word(field, text):
    tokens = _tokens(field, text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(field, tokens[0])
    return And(tuple(Term(field, t) for t in tokens))


def _phrase(field, words):
    tokens = _tokens(field, " ".join(words))
    if len(tokens) <= 1:
        return Term(field, tokens[0]) if tokens else None
    return Phrase(field, tuple(tokens))


def _either(parts):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def positive_terms(node) -> list[tuple[str, str]]:
    """(field, text) a match may hold, excluded ones left out (querying._positive_terms)."""
    if isinstance(node, Not):
        return []
    if isinstance(node, AndNot):
        return positive_terms(node.keep)
    if isinstance(node, Term):
        return [(node.field, node.text)]
    if isinstance(node, Phrase):
        return [(node.field, t) for t in node.tokens]
    return [t for c in node.parts for t in positive_terms(c)]


def excluded(node) -> list:
    """The subtrees a match must not satisfy (querying._excluded)."""
    if isinstance(node, Not):
        return [node.child]
    if isinstance(node, AndNot):
        return [node.drop, *excluded(node.keep)]
    if isinstance(node, And):
        return [x for c in node.parts for x in excluded(c)]
    return []


def phrases(node) -> list[Phrase]:
    """Every phrase in the tree, for resolving to ids before rendering."""
    if isinstance(node, Phrase):
        return [node]
    if isinstance(node, (Not,)):
        return phrases(node.child)
    if isinstance(node, AndNot):
        return phrases(node.keep) + phrases(node.drop)
    if isinstance(node, (And, Or)):
        return [p for c in node.parts for p in phrases(c)]
    return []


# -- rendering filter_by ----------------------------------------------------------------

NOTHING = "aid:=[`\u0000`]"        # matches no document


def value(text: str) -> str:
    """One filter value, backtick-quoted (commas, spaces, brackets are literal inside)."""
    return "`" + text.replace("`", "") + "`"


def one_of(field: str, values, negate: bool = False) -> str:
    values = list(values)
    if not values:
        return "" if negate else NOTHING
    return f"{field}:{'!=' if negate else '='}[{','.join(value(v) for v in values)}]"


def ids_filter(ids, negate: bool = False, field: str = "aid") -> str:
    """Articles (``field`` "story": of stories) with one of ``ids``, or, negated, none."""
    return one_of(field, [exact(i) for i in ids], negate)


def render(node, phrase_ids: dict, negate: bool = False) -> str:
    """``node`` as a filter_by expression ('' = everything); ``phrase_ids`` maps each
    Phrase to the article ids holding it; ``negate`` renders NOT node."""
    if isinstance(node, Term):
        if node.field == "source":
            return one_of("source", [exact(node.text)], negate)
        return one_of(f"{node.field}_terms", [term_key(node.text)], negate)
    if isinstance(node, Phrase):
        return ids_filter(phrase_ids[node], negate)
    if isinstance(node, Not):
        return render(node.child, phrase_ids, not negate)
    if isinstance(node, AndNot):
        return _join("&&" if not negate else "||",
                     [render(node.keep, phrase_ids, negate), render(node.drop, phrase_ids, not negate)])
    is_and = isinstance(node, And)
    op = "&&" if is_and != negate else "||"
    return _join(op, [render(c, phrase_ids, negate) for c in node.parts])


def _join(op: str, parts: list[str]) -> str:
    if op == "&&":
        if NOTHING in parts:
            return NOTHING
        parts = [p for p in parts if p]
        if not parts:
            return ""
    else:
        if "" in parts:
            return ""
        parts = [p for p in parts if p != NOTHING] or [NOTHING]
    return parts[0] if len(parts) == 1 else "(" + f" {op} ".join(parts) + ")"


def both(*parts: str) -> str:
    """AND of filter expressions, '' (everything) left out."""
    return _join("&&", list(parts))
