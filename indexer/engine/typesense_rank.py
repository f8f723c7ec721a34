"""The embedded engine's relevance ranking, computed on documents Typesense returns.

Typesense 0.24's ``_text_match`` counts matched tokens, typos and proximity; it
has no term frequency, no idf and no length normalisation, so it cannot order
matches the way newsdesk's BM25F does.  Here the same formula and the same
:data:`querying.RANKING` configuration (read at each request) score candidate
documents from their analyzed ``title_text``/``body_text``, with the collection
statistics (document count, each word's document frequency, average field
lengths) asked of Typesense in the same request batch.  RM3 feedback for long
questions is the embedded one too, over the best first-pass candidates.
"""
from __future__ import annotations

import math
from collections import Counter

from whoosh.util.numeric import byte_to_length, length_to_byte

from . import querying
from .typesense_query import TEXT_FIELDS, analyze, term_key, term_of


# the embedded engine's own: how often each word was typed (and where it is searched),
# and the saturation of repeated query words
query_words = querying._query_words
saturated = querying._saturated


def terms(text: str) -> Counter:
    """Each term's frequency in a stored ``*_text`` (its :func:`term_key` s, decoded)."""
    return Counter({term_of(k): n for k, n in Counter(text.split()).items()})


def stored_length(n: int) -> int:
    """A field length as the embedded index keeps it: in one byte, so rounded
    (Whoosh's length_to_byte / byte_to_length); BM25F normalises by this one."""
    return byte_to_length(length_to_byte(n))


class Doc:
    """A candidate's analyzed text (its stored term keys) and field lengths.

    A term's frequency is counted when scoring asks for it (:meth:`tf`), in the
    stored keys: a candidate is scored on a few query words, so counting every term
    of every candidate (a Counter each, then decoding its keys) cost more than the
    scoring itself (cProfile, 100 core Reuters queries: 5.3 of 34.8 s)."""

    __slots__ = ("id", "seq", "tokens", "length", "_tf")

    def __init__(self, raw: dict):
        self.id = raw["id"]
        self.seq = raw.get("seq", 0)
        self.tokens = {f: raw.get(f"{f}_text", "").split() for f in TEXT_FIELDS}
        self.length = {f: stored_length(len(self.tokens[f])) for f in TEXT_FIELDS}
        self._tf: dict[tuple[str, str], int] = {}

    def tf(self, field: str, key: str) -> int:
        """How often the term stored as ``key`` (:func:`term_key`) is in ``field``."""
        n = self._tf.get((field, key))
        if n is None:
            n = self._tf[(field, key)] = self.tokens[field].count(key)
        return n


def scores(docs: list[Doc], weights: dict[str, float], fields: dict[str, tuple[str, ...]],
           df: dict[str, int], n_docs: int, average: dict[str, float], r=None) -> list[float]:
    """BM25F of each doc (querying._scores' formula, term by term)."""
    r = r or querying.RANKING
    b = {"title": r.b_title, "body": r.b_body}
    fw = {"title": r.title_weight, "body": 1.0}
    out = [0.0] * len(docs)
    for text in sorted(weights):
        if not df.get(text):
            continue
        idf = math.log(1 + (n_docs - df[text] + 0.5) / (df[text] + 0.5))
        key = term_key(text)
        for i, d in enumerate(docs):
            x = 0.0
            for f in fields.get(text, TEXT_FIELDS):
                tf = d.tf(f, key)
                if tf:
                    x += fw[f] * tf / max(1 - b[f] + b[f] * d.length[f] / (average[f] or 1), 1e-9)
            if x:
                out[i] += weights[text] * idf * x * (r.k1 + 1) / (r.k1 + x)
    return out


def top(docs: list[Doc], values: list[float], need: int) -> list[tuple[Doc, float]]:
    """The ``need`` best, best first, ties by index order (the embedded docnum order)."""
    order = sorted(range(len(docs)), key=lambda i: (-values[i], docs[i].seq))
    return [(docs[i], values[i]) for i in order[:need]]


def feedback_model(texts: list[tuple[str, float]], r, count: int | None = None) -> list[tuple[str, float]]:
    """RM3's ``count`` (default ``feedback_terms``) heaviest words of the best articles'
    (text, score), heaviest first: querying._feedback's model."""
    total = sum(s for _, s in texts)
    model: Counter = Counter()
    for text, s in texts:
        words = Counter(analyze(text))
        length = sum(words.values())
        for word, n in words.items():
            model[word] += s / total * n / length
    return model.most_common(count or r.feedback_terms)


def mix(weights: dict[str, float], chosen: list[tuple[str, float]], r) -> dict[str, float]:
    fed = sum(v for _, v in chosen)
    typed = sum(weights.values())
    mixed = {t: (1 - r.feedback_weight) * w / typed for t, w in weights.items()}
    for word, v in chosen:
        mixed[word] = mixed.get(word, 0.0) + r.feedback_weight * v / fed
    return mixed
