"""Where a query's words occur in a text, as the snippets find them (stemmed forms too).

The article page marks these spans; the snippet highlighter (``engine/snippets.py``)
marks the same words in a hit's snippet: both cut the text with the body analyzer's
tokenizer and compare Porter stems, so "invasions" in a body is found for "invasion".
"""
from __future__ import annotations

from whoosh.analysis import STOP_WORDS

from .engine.snippets import _TOKEN, _stem
from .query import Node, words

MAX_MATCHES = 1000  # spans marked in one text


def query_terms(node: Node | None) -> set[str]:
    """The stems of the words a matching document may contain (excluded words, stop words
    and wildcard patterns left out), as the index analyzes body text."""
    terms = set()
    for word in words(node):
        if "*" in word or "?" in word:
            continue
        for token in _TOKEN.findall(word):
            if token.lower() not in STOP_WORDS:
                terms.add(_stem(token))
    return terms


def match_spans(text: str, node: Node | None, limit: int = MAX_MATCHES) -> list[tuple[int, int]]:
    """(start, end) of each token of ``text`` whose stem is one of ``node``'s words, in order."""
    terms = query_terms(node)
    if not terms or not text:
        return []
    spans = []
    for m in _TOKEN.finditer(text):
        if _stem(m.group()) in terms:
            spans.append((m.start(), m.end()))
            if len(spans) >= limit:
                break
    return spans
