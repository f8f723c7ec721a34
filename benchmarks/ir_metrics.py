"""Ranking metrics for eval_ranking.py: small pure functions, tested in tests/test_eval_metrics.py.

Each takes ``ranked`` (document ids, best first; only the first ``k`` count) and
``gains`` (every judged document of one query -> its gain; a gain <= 0 is not
relevant).  Binary judgments are gains of 1.  Duplicate ids in ``ranked`` count
once, at their first rank, so a ranking cannot score a document twice.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def _top(ranked: Sequence[str], k: int) -> list[str]:
    """The first ``k`` distinct ids of ``ranked``."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return list(dict.fromkeys(ranked))[:k]


def _relevant(gains: Mapping[str, float]) -> set[str]:
    return {doc for doc, gain in gains.items() if gain > 0}


def precision_at(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """Relevant documents among the first ``k``, over ``k`` (a short ranking is not excused)."""
    relevant = _relevant(gains)
    return sum(doc in relevant for doc in _top(ranked, k)) / k


def average_precision_at(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """AP@k as trec_eval's ``map_cut_k``: the precision at each relevant document's rank
    within the first ``k``, summed, over the number of relevant documents (all of them,
    not min(k, R), so relevant documents past rank k count as misses).  0 when no
    document is relevant."""
    relevant = _relevant(gains)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc in enumerate(_top(ranked, k), 1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def dcg_at(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """Discounted cumulative gain of the first ``k``: gain / log2(rank + 1), linear gains."""
    return sum(max(gains.get(doc, 0.0), 0.0) / math.log2(rank + 1)
               for rank, doc in enumerate(_top(ranked, k), 1))


def ndcg_at(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """DCG@k over the DCG@k of the ideal ranking (every judged document, by gain);
    0 when no document is relevant."""
    dcg = dcg_at(ranked, gains, k)   # first: it checks k
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    best = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / best if best else 0.0
