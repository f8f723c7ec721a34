"""Our query tree (:mod:`indexer.query`) -> a Whoosh query, analyzed as the fields were.

Only the tree's constructs become Whoosh queries: words, phrases, AND, OR and
exclusions, on title and body (a word with no field matches either) or on
one named field.  Each word goes through its field's own analyzer, so case,
stemming and stop words match how articles were indexed; a word that
analyzes to nothing (a stop word) drops out, as Whoosh's parser drops it.
"""
from __future__ import annotations

import re

from whoosh import query as wq

from .. import query as q
from .schema import TEXT_FIELDS


_WILDCARDS = re.compile(r"[*?]")


def to_whoosh(node: q.Node | None, schema) -> wq.Query:
    """The Whoosh query for ``node``; ``whoosh.query.NullQuery`` when nothing is left."""
    found = _translate(node, schema) if node is not None else None
    return found if found is not None else wq.NullQuery


def _translate(node: q.Node, schema) -> wq.Query | None:
    if isinstance(node, q.Word):
        return _either([_word(f, node.text, schema) for f in _fields(node.field)])
    if isinstance(node, q.Phrase):
        return _either([_phrase(f, node.words, schema) for f in _fields(node.field)])
    if isinstance(node, q.Exclude):
        child = _translate(node.child, schema)
        return wq.Not(child) if child is not None else None
    parts = [p for p in (_translate(c, schema) for c in node.children) if p is not None]
    if not parts:
        return None
    if isinstance(node, q.Any):
        return _either(parts)
    positive = [p for p in parts if not isinstance(p, wq.Not)]
    negative = [p.query for p in parts if isinstance(p, wq.Not)]
    if not positive:
        return None                          # only exclusions: nothing to search for
    kept = positive[0] if len(positive) == 1 else wq.And(positive)
    if not negative:
        return kept
    return wq.AndNot(kept, negative[0] if len(negative) == 1 else wq.Or(negative))


def _fields(field: str | None) -> tuple[str, ...]:
    return (field,) if field else TEXT_FIELDS


def _tokens(field: str, text: str, schema) -> list[str]:
    """``text`` analyzed as the field was indexed; Whoosh's tokenizer keeps ``*`` and ``?``
    inside words (its wildcards), which in our syntax are plain punctuation."""
    return list(schema[field].process_text(_WILDCARDS.sub(" ", text), mode="index"))


def _word(field: str, text: str, schema) -> wq.Query | None:
    tokens = _tokens(field, text, schema)
    if not tokens:
        return None
    if len(tokens) == 1:
        return wq.Term(field, tokens[0])
    return wq.And([wq.Term(field, t) for t in tokens])   # "e-mail": both parts, like Whoosh


def _phrase(field: str, words: tuple[str, ...], schema) -> wq.Query | None:
    tokens = _tokens(field, " ".join(words), schema)
    if len(tokens) <= 1:
        return wq.Term(field, tokens[0]) if tokens else None
    return wq.Phrase(field, tokens)


def _either(parts: list[wq.Query | None]) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.Or(parts)
