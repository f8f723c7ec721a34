"""Did-you-mean: rare query words replaced by close, far more common ones."""
from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable

import numpy as np

RARE = 10  # a query word in fewer articles than this may be a misspelling

_WORD = re.compile(r"(?<![:\w])([^\W\d_]{3,})(?![:\w])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _key(text: str) -> int:
    """A stable hash (Python's ``hash`` is salted per process, and the index is saved)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            cur.append(cost)
        prev2, prev = prev, cur
    return prev[-1]


class Speller:
    """Did-you-mean over the titles' words: a symmetric-delete index (as SymSpell).

    A word and a known word that share a one-letter deletion (or are one
    deletion apart) are within two edits: covers a dropped, added, changed or
    swapped letter, with a look-up instead of a scan of the lexicon.

    Compact: the words in one list, their frequencies in a numpy array, and the
    delete index as two parallel arrays sorted by the deletion's hash (a
    dictionary of lists of strings held ~65 MB at 300k articles).  The hash is
    CRC-32, the same in every process, so the arrays can be saved with the
    snapshot (engine/saved.py) and loaded by the next process.  A hash
    collision can only add a candidate, which must still be within two edits.
    """

    def __init__(self, words: list[str], freq: np.ndarray, keys: np.ndarray, owners: np.ndarray):
        self.words = words
        self.freq = freq        # doc frequency per word
        self._keys = keys       # hash of each (deletion, word) pair's deletion, ascending
        self._owners = owners   # the word each key belongs to

    @classmethod
    def load(cls, reader) -> Speller:
        pairs = [(t.decode(), info.doc_frequency()) for t, info in reader.iter_field("spell")]
        words = [w for w, _ in pairs]
        freq = np.fromiter((f for _, f in pairs), dtype=np.int64, count=len(pairs))
        keys: list[int] = []
        owners: list[int] = []
        for i, word in enumerate(words):
            if len(word) >= 3 and word.isalpha():
                found = _deletes(word) | {word}
                keys.extend(map(_key, found))
                owners.extend([i] * len(found))
        keys_a = np.fromiter(keys, dtype=np.int64, count=len(keys))
        owners_a = np.fromiter(owners, dtype=np.int32, count=len(owners))
        order = np.argsort(keys_a, kind="stable")
        return cls(words, freq, keys_a[order], owners_a[order])

    def arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`from_arrays` needs (words as one newline-joined UTF-8 array)."""
        text = "\n".join(self.words).encode("utf-8", "surrogatepass")
        return {"words": np.frombuffer(text, dtype=np.uint8), "freq": self.freq,
                "keys": self._keys, "owners": self._owners}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Speller:
        text = arrays["words"].tobytes().decode("utf-8", "surrogatepass")
        words = text.split("\n") if text else []
        return cls(words, arrays["freq"], arrays["keys"], arrays["owners"])

    def _candidates(self, key: str) -> np.ndarray:
        h = _key(key)
        lo = np.searchsorted(self._keys, h, side="left")
        hi = np.searchsorted(self._keys, h, side="right")
        return self._owners[lo:hi]

    def correct(self, word: str) -> str | None:
        owners = {int(i) for key in _deletes(word) | {word} for i in self._candidates(key)}
        return closest(word, [(self.words[i], int(self.freq[i])) for i in owners])


def spell_words(title: str) -> list[str]:
    """A title's distinct words as the embedded vocabulary holds them (the ``spell``
    field's analyzer; letters only, three or more), in the order they first appear."""
    from .schema import SPELL_ANALYZER
    return list(dict.fromkeys(w for w in (t.text for t in SPELL_ANALYZER(title))
                              if len(w) >= 3 and w.isalpha()))


def closest(word: str, known: Iterable[tuple[str, int]]) -> str | None:
    """Of ``known`` (word, articles), the nearest to ``word`` within two edits, the most
    frequent among equally near ones (then alphabetical); None if none is that near."""
    ranked = sorted((_distance(word, w), -n, w) for w, n in known if w != word)
    return ranked[0][2] if ranked and ranked[0][0] <= 2 else None


def corrected(text: str, frequency: Callable[[str], int | None],
              correct: Callable[[str], str | None]) -> str | None:
    """``text`` with each word the articles rarely use replaced by a close spelling that
    is at least ten times as common; None when nothing changes.

    ``frequency(word)`` is how many articles hold the word's stems (None for a stop
    word); ``correct(word)`` the closest known spelling.  Both engines answer did-you-
    mean with this one rule.
    """
    def fix(match: re.Match) -> str:
        word = match.group(1)
        seen = frequency(word)
        if word in _OPERATORS or seen is None or seen >= RARE:
            return word  # an operator, a stop word, or a word the articles use
        better = correct(word.lower())
        # a rare word is kept unless a far more common spelling is close to it
        return better if better and (not seen or (frequency(better) or 0) >= 10 * seen) else word

    out = _WORD.sub(fix, text)
    return out if out.lower() != text.lower() else None


def query_words(text: str) -> list[str]:
    """The words of ``text`` did-you-mean may look at (for engines that batch look-ups)."""
    return [m.group(1) for m in _WORD.finditer(text) if m.group(1) not in _OPERATORS]


def suggest(gen, text: str) -> str | None:
    """Did-you-mean on the embedded index: its Speller, doc frequencies from its reader."""
    reader = gen.searcher.reader()
    analyzer = gen.ix.schema["body"].analyzer

    def frequency(word: str) -> int | None:
        stems = [t.text for t in analyzer(word)]
        return max(reader.doc_frequency("body", s) for s in stems) if stems else None

    return corrected(text, frequency, gen.speller.correct)
