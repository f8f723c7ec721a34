"""Snippets: the part of a body that holds the most query words, escaped, words in <mark>."""
from __future__ import annotations

import html
import re
from functools import lru_cache

from whoosh.lang.porter import stem

SNIPPET_CHARS = 240


_TOKEN = re.compile(r"\w+(?:\.?\w+)*")  # the body analyzer's tokenizer


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return stem(word.lower())


def _found(body: str, terms: set[str]) -> list[re.Match]:
    """The first 200 of the body's tokens (as ``_TOKEN.finditer`` cuts them) whose stem
    is a query term.

    Tokenizing a whole body with Python's ``re`` is most of a snippet's cost, so
    only tokens that start like a term's stem are looked at: Porter stemming
    keeps all but at most the last two letters of a stem as the word's own
    start (checked over Reuters' 80k words), so a token whose stem is in
    ``terms`` starts with its stem less three letters (at least one, the first
    letter never changes).  Each candidate is cut and stemmed as before.
    """
    if not terms or len(body.lower()) != len(body):  # a letter whose lower case is longer
        return [m for m in _TOKEN.finditer(body) if _stem(m.group()) in terms][:200]
    found = []
    for m in _starts(frozenset(terms)).finditer(body):
        token = _TOKEN.match(body, m.start())
        if _stem(token.group()) in terms:
            found.append(token)
            if len(found) == 200:
                break
    return found


@lru_cache(maxsize=4096)
def _starts(terms: frozenset[str]) -> re.Pattern:
    """Where a token starting like one of ``terms`` begins: after a non-word character,
    and not after "x." (that dot joins the token before)."""
    prefixes = {t[:max(1, len(t) - 3)] for t in terms}
    alternatives = "|".join(map(re.escape, sorted(prefixes, key=len, reverse=True)))
    return re.compile(rf"(?<!\w)(?<!\w\.)(?i:{alternatives})")


def snippet(body: str, terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """The ``width`` characters of ``body`` holding the most query words, escaped, words in <mark>.

    ``terms`` are analyzed (lower-cased, stemmed) body terms.  Tokenizing with
    the analyzer's own pattern and a cached stemmer is ~10x faster than
    Whoosh's highlighter, which re-runs the whole analyzer chain per hit.
    """
    found = _found(body, terms)
    if not found:
        return ""
    # the window starting at each match holds the matches ending within width - 40 of
    # its start: a run that only grows as the start moves right (two pointers)
    stems = [_stem(m.group()) for m in found]
    best, best_key = 0, (0, 0)
    held: dict[str, int] = {}
    j = 0
    for i, first in enumerate(found):
        while j < len(found) and found[j].end() - first.start() <= width - 40:
            held[stems[j]] = held.get(stems[j], 0) + 1
            j += 1
        key = (len(held), j - i)
        if key > best_key:
            best, best_key = i, key
        if j > i:
            held[stems[i]] -= 1
            if not held[stems[i]]:
                del held[stems[i]]
        else:
            j = i + 1
    start = max(0, found[best].start() - 40)
    if start:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < found[best].start() else found[best].start()
    end = min(len(body), start + width)
    if end < len(body):
        space = body.rfind(" ", start, end)
        end = space if space > found[best].end() else end
    out, pos = [], start
    for m in found[best:]:
        if m.end() > end:
            break
        out += [html.escape(body[pos:m.start()], quote=False),
                "<mark>", html.escape(m.group(), quote=False), "</mark>"]
        pos = m.end()
    out.append(html.escape(body[pos:end], quote=False))
    text = " ".join("".join(out).split())
    return ("… " if start else "") + text + (" …" if end < len(body) else "")
