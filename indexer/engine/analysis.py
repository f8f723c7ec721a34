"""Index-time analysis without Whoosh's per-token Python pipeline.

Whoosh analyzes a field through a chain of generators (tokenizer, lowercase,
stop words, stemmer) that pass one mutable ``Token`` object along, then
``Positions.word_values`` collects positions per word: about a third of the
time of indexing goes there (cProfile of ``build`` on 5,000 synthetic articles:
``fields.index`` 15.2 s of 45.4 s).  ``StemmedText`` is a ``TEXT`` field whose
``index`` computes the same terms, frequencies, weights and encoded positions
as ``StemmingAnalyzer`` and ``formats.Positions`` would, with one regex
``findall`` and a stem cache, so the index is byte-for-byte what Whoosh would
write (``tests/test_analysis.py`` holds it to that).  Queries are still
analyzed by the field's own analyzer: the two agree by construction.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.analysis.tokenizers import default_pattern
from whoosh.fields import TEXT
from whoosh.lang.porter import stem
from whoosh.system import pack_uint
from pickle import dumps

_TOKENS = re.compile(default_pattern.pattern.replace("(\\.?", "(?:\\.?"))  # findall: whole matches
_STOPS = frozenset(STOP_WORDS)
_MINSIZE = 2                     # StemmingAnalyzer's default
_STEM_CACHE_MAX = 1 << 18        # distinct words kept stemmed (cleared when full)
_stems: dict[str, str] = {}


def stemmed_positions(text: str) -> dict[str, list[int]]:
    """``{stemmed word: [positions]}`` exactly as ``StemmingAnalyzer`` numbers them.

    Positions count every token; after a stop word is dropped, Whoosh's
    ``StopFilter(renumber=True)`` keeps the first kept token's position and
    numbers the following kept tokens one by one from there.
    """
    poses: dict[str, list[int]] = defaultdict(list)
    stems = _stems
    pos = None
    for i, word in enumerate(_TOKENS.findall(text)):
        word = word.lower()
        if len(word) < _MINSIZE or word in _STOPS:
            continue
        pos = i if pos is None else pos + 1
        s = stems.get(word)
        if s is None:
            if len(stems) >= _STEM_CACHE_MAX:
                stems.clear()
            s = stems[word] = stem(word)
        poses[s].append(pos)
    return poses


def _encode(poslist: list[int]) -> bytes:
    """``formats.Positions.encode``: the count, then the pickled deltas."""
    deltas = [b - a for a, b in zip([0] + poslist, poslist)]
    return pack_uint(len(deltas)) + dumps(deltas, 2)


class StemmedText(TEXT):
    """A ``TEXT`` field with ``StemmingAnalyzer`` and positions, indexed in one pass."""

    def __init__(self, **kwargs):
        super().__init__(analyzer=StemmingAnalyzer(), phrase=True, **kwargs)

    def index(self, value, **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str) or kwargs:
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for word, poslist in stemmed_positions(value).items():
            yield word.encode("utf-8"), len(poslist), len(poslist) * boost, _encode(poslist)
