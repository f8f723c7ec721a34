"""benchmarks/ir_metrics.py: AP@k, P@k and nDCG@k on hand-computed examples (no data needed)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from ir_metrics import average_precision_at, dcg_at, ndcg_at, precision_at  # noqa: E402

# four relevant documents, a b c d; the ranking finds three of them at ranks 1, 3, 5
RANKED = ["a", "x", "b", "y", "c"]
BINARY = {"a": 1, "b": 1, "c": 1, "d": 1, "x": 0}


def test_precision_counts_relevant_in_the_first_k():
    assert precision_at(RANKED, BINARY, 1) == 1.0
    assert precision_at(RANKED, BINARY, 2) == 0.5
    assert precision_at(RANKED, BINARY, 5) == pytest.approx(3 / 5)


def test_precision_divides_by_k_even_when_fewer_are_returned():
    assert precision_at(RANKED, BINARY, 10) == pytest.approx(3 / 10)
    assert precision_at([], BINARY, 10) == 0.0


def test_average_precision_by_hand():
    # precisions at the relevant ranks: 1/1, 2/3, 3/5; over all 4 relevant documents
    assert average_precision_at(RANKED, BINARY, 5) == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)
    assert average_precision_at(RANKED, BINARY, 5) == pytest.approx(0.5666667)


def test_average_precision_cuts_at_k():
    # c at rank 5 falls outside k=3; the denominator stays the 4 relevant documents
    assert average_precision_at(RANKED, BINARY, 3) == pytest.approx((1 + 2 / 3) / 4)
    assert average_precision_at(["x", "y", "a"], BINARY, 2) == 0.0


def test_average_precision_perfect_and_empty():
    assert average_precision_at(["a", "b", "c", "d"], BINARY, 100) == 1.0
    assert average_precision_at(["d", "c", "b", "a", "x"], BINARY, 100) == 1.0
    assert average_precision_at([], BINARY, 100) == 0.0
    assert average_precision_at(["a"], {"a": 0, "b": -1}, 10) == 0.0   # nothing relevant


def test_duplicates_count_once():
    # a twice would otherwise give P@2 = 1 and AP = (1 + 1) / 4
    assert precision_at(["a", "a"], BINARY, 2) == 0.5
    assert average_precision_at(["a", "a", "b"], BINARY, 3) == pytest.approx((1 + 2 / 2) / 4)


def test_non_positive_gains_are_not_relevant():
    gains = {"a": 1, "b": 0, "c": -1}
    assert precision_at(["b", "c", "a"], gains, 3) == pytest.approx(1 / 3)
    assert average_precision_at(["b", "c", "a"], gains, 3) == pytest.approx(1 / 3)
    assert ndcg_at(["b", "c", "a"], gains, 3) == pytest.approx(0.5)   # 1/log2(4) over 1


def test_ndcg_binary_by_hand():
    ranked, gains = ["x", "a", "b"], {"a": 1, "b": 1}
    dcg = 1 / math.log2(3) + 1 / math.log2(4)            # 0.6309 + 0.5
    ideal = 1 / math.log2(2) + 1 / math.log2(3)          # 1 + 0.6309
    assert dcg_at(ranked, gains, 3) == pytest.approx(1.1309298)
    assert ndcg_at(ranked, gains, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at(ranked, gains, 3) == pytest.approx(0.6934264)


def test_ndcg_graded_by_hand():
    ranked, gains = ["c", "x", "a"], {"a": 3, "b": 2, "c": 1}
    dcg = 1 / 1 + 0 + 3 / 2                              # ranks 1 and 3: log2(2)=1, log2(4)=2
    ideal = 3 / 1 + 2 / math.log2(3) + 1 / 2             # a b c
    assert dcg_at(ranked, gains, 3) == pytest.approx(2.5)
    assert ndcg_at(ranked, gains, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at(ranked, gains, 3) == pytest.approx(0.5250050)


def test_ndcg_ideal_is_cut_at_k_too():
    gains = {"a": 3, "b": 2, "c": 1}
    # k=1: only the best document can be ideal; b first gives 2/3
    assert ndcg_at(["b", "a"], gains, 1) == pytest.approx(2 / 3)
    assert ndcg_at(["a", "b", "c"], gains, 3) == 1.0
    assert ndcg_at(["x"], gains, 10) == 0.0
    assert ndcg_at(["a"], {}, 10) == 0.0


def test_k_must_be_positive():
    for metric in (precision_at, average_precision_at, ndcg_at):
        with pytest.raises(ValueError):
            metric(RANKED, BINARY, 0)
