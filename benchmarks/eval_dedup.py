"""Wire copies on Reuters-21578: how many stories the near-duplicate detector makes,
and a sample of pairs to read.

Reads ../shared/data/reuters21578/reut2-0*.sgm with our importer, runs
``indexer.dedup.detect`` (MinHash LSH, the same code ``newsdesk index`` runs) and
prints
- articles, stories of two or more articles, the articles in them, and the sizes;
- the detector's speed (articles signed and matched per second, one process);
- with ``--pairs N``: a seeded random sample of N (story member, the story's first
  article) pairs, each with both titles, dates and the first words of both bodies,
  written as Markdown to ``--out`` (default benchmarks/results/dedup_pairs.md) for
  reading.  The judgements of the committed sample are in benchmarks/results/dedup.md;
- with ``--recall``: what the detector misses.  Every pair's exact Jaccard similarity
  of shingles is computed (a sparse shingle matrix times its transpose, scipy, which
  datasketch already needs; shingles in more than ``--max-df`` articles are left out of
  the product only, then each candidate's exact figure is taken from its full shingle
  sets), and the pairs are counted by similarity band and by whether they were sent
  within the detector's window, with how many of each the detector put in one story.
  ``--missed N --band LO HI [--outside]`` writes a seeded sample of N pairs the
  detector left apart, of exact Jaccard in [LO, HI) and sent within (or outside)
  its window, to ``--missed-out`` for reading: the judged share that are the same
  story estimates the same-story pairs the detector misses in that band.

Usage: .venv/bin/python benchmarks/eval_dedup.py [--pairs 50] [--seed 1987] [--out PATH]
       .venv/bin/python benchmarks/eval_dedup.py --recall [--missed 25 --band 0.5 0.7 [--outside]]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer import dedup  # noqa: E402
from indexer.articles import Article  # noqa: E402
from indexer.importers import reuters  # noqa: E402

REUTERS = REPO.parent / "shared" / "data" / "reuters21578"


def load() -> list[Article]:
    files = sorted(REUTERS.glob("reut2-0*.sgm"))
    if not files:
        sys.exit(f"{REUTERS} is absent: this benchmark needs ../shared/data beside the repo")
    return [a for f in files for a in reuters.read(f) if isinstance(a, Article)]


def excerpt(text: str, words: int = 60) -> str:
    cut = text.split()
    return " ".join(cut[:words]) + (" …" if len(cut) > words else "")


def exact_pairs(articles: list[Article], floor: float, max_df: int) -> list[tuple]:
    """Every pair whose exact Jaccard of shingles is at least ``floor``:
    ``(jaccard, a index, b index)``, texts too short to compare left out as the detector does."""
    import numpy as np
    from scipy import sparse

    grams = [dedup.shingles(a.title, a.body) for a in articles]
    vocab: dict[bytes, int] = {}
    rows, cols = [], []
    for n, g in enumerate(grams):
        if len(g) < dedup.MIN_SHINGLES:
            continue
        for s in g:
            rows.append(n)
            cols.append(vocab.setdefault(s, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                          shape=(len(articles), len(vocab)))
    df = np.asarray(m.sum(axis=0)).ravel()
    m = m[:, np.flatnonzero(df <= max_df)]        # boilerplate shingles only inflate the product
    shared = sparse.triu(m @ m.T, k=1).tocoo()
    sizes = np.array([len(g) for g in grams])
    # a lower bound of each pair's Jaccard (common shingles left out); exact below
    bound = shared.data / (sizes[shared.row] + sizes[shared.col] - shared.data)
    out = []
    for i, j in zip(shared.row[bound >= floor / 2], shared.col[bound >= floor / 2]):
        both = len(grams[i] & grams[j])
        jac = both / (len(grams[i]) + len(grams[j]) - both)
        if jac >= floor:
            out.append((jac, int(i), int(j)))
    return sorted(out, reverse=True)


def recall(articles: list[Article], stories: dict[str, str], args) -> None:
    """Print the exhaustive pairs by band and window, and what the detector did with each."""
    started = time.perf_counter()
    pairs = exact_pairs(articles, args.floor, args.max_df)
    window = dedup.WINDOW.total_seconds()

    def near(a: Article, b: Article) -> bool:
        return dedup._near(dedup._timestamp(a), dedup._timestamp(b))

    bands = [(1.0, 0.9), (0.9, dedup.THRESHOLD), (dedup.THRESHOLD, 0.5), (0.5, args.floor)]
    print(f"\nexhaustive pairs of exact Jaccard >= {args.floor} "
          f"({time.perf_counter() - started:.1f} s; shingles in more than {args.max_df} "
          f"articles left out of the candidate product):")
    print(f"{'exact Jaccard':>16} {'window':>9} {'pairs':>7} {'in one story':>13} {'share':>6}")
    missed = []
    for hi, lo in bands:
        for inside in (True, False):
            band = [(j, a, b) for j, a, b in pairs if lo <= j < hi or (hi == 1.0 and j == 1.0)
                    if near(articles[a], articles[b]) == inside]
            same = [p for p in band if stories[articles[p[1]].id] == stories[articles[p[2]].id]]
            if inside != args.outside and args.band[0] <= lo and hi <= args.band[1]:
                missed += [p for p in band if p not in set(same)]
            label = f"{lo:.2f}-{hi:.2f}"
            print(f"{label:>16} {'within' if inside else 'outside':>9} {len(band):>7,} "
                  f"{len(same):>13,} {len(same) / len(band) if band else 0:>6.1%}")
    print(f"(window: {window / 86400:.0f} days; the detector folds pairs of estimated "
          f"Jaccard >= {dedup.THRESHOLD} within it)")
    if not args.missed:
        return
    chosen = random.Random(args.seed).sample(missed, min(args.missed, len(missed)))
    lines = [f"# {len(chosen)} sampled missed pairs (seed {args.seed}) of {len(missed):,}: "
             f"exact Jaccard {args.band[0]}-{args.band[1]}, "
             f"{'outside' if args.outside else 'within'} the window, not in one story", ""]
    for n, (jac, i, j) in enumerate(sorted(chosen, reverse=True), 1):
        a, b = articles[i], articles[j]
        lines += [f"## {n}. {a.id} / {b.id}: Jaccard {jac:.2f}, "
                  f"{'within' if near(a, b) else 'outside'} the window", ""]
        for tag, x in (("A", a), ("B", b)):
            when = f" ({x.published:%Y-%m-%d %H:%M})" if x.published else ""
            lines += [f"- **{tag}** {x.title}{when}", f"  {excerpt(x.body)}"]
        lines.append("")
    args.missed_out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(chosen)} missed pairs to {args.missed_out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=0, help="sample this many pairs to read")
    ap.add_argument("--seed", type=int, default=1987)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "dedup_pairs.md")
    ap.add_argument("--recall", action="store_true",
                    help="count every pair by exact similarity and what the detector did")
    ap.add_argument("--floor", type=float, default=0.3, help="lowest exact Jaccard counted")
    ap.add_argument("--max-df", type=int, default=100,
                    help="shingles in more articles are left out of the candidate product")
    ap.add_argument("--missed", type=int, default=0, help="sample this many missed pairs")
    ap.add_argument("--band", type=float, nargs=2, default=(0.5, 0.7), metavar=("LO", "HI"),
                    help="the exact-Jaccard band --missed samples from")
    ap.add_argument("--outside", action="store_true",
                    help="--missed samples pairs sent outside the window")
    ap.add_argument("--missed-out", type=Path,
                    default=REPO / "benchmarks" / "results" / "dedup_missed.md")
    args = ap.parse_args()
    articles = load()
    started = time.perf_counter()
    stories = dedup.detect(articles)
    took = time.perf_counter() - started
    groups = dedup.clusters(stories)
    sizes = Counter(len(ids) for ids in groups.values())
    in_groups = sum(len(ids) for ids in groups.values())
    print(f"articles: {len(articles):,}")
    print(f"stories: {len(set(stories.values())):,} (each copy folded into its story)")
    print(f"stories of 2+ articles: {len(groups):,}, holding {in_groups:,} articles "
          f"({in_groups / len(articles):.1%}); results fold away {in_groups - len(groups):,}")
    print("sizes: " + ", ".join(f"{n} articles: {sizes[n]}" for n in sorted(sizes)))
    print(f"detection: {took:.1f} s, {len(articles) / took:,.0f} articles/s "
          f"(threshold {dedup.THRESHOLD}, {dedup.SHINGLE}-word shingles, "
          f"{dedup.NUM_PERM} permutations, window {dedup.WINDOW.days} days)")
    if args.recall:
        recall(articles, stories, args)
    if not args.pairs:
        return
    by_id = {a.id: a for a in articles}
    pairs = [(story, member) for story, ids in sorted(groups.items())
             for member in ids if member != story and story in by_id]
    chosen = random.Random(args.seed).sample(pairs, min(args.pairs, len(pairs)))
    lines = [f"# {len(chosen)} sampled pairs (seed {args.seed}) of {len(pairs):,}: "
             "an article and the first article of its story", ""]
    for n, (story, member) in enumerate(chosen, 1):
        a, b = by_id[story], by_id[member]
        lines += [f"## {n}. {a.id} / {b.id}", "",
                  f"- **A** {a.title} ({a.published:%Y-%m-%d %H:%M})" if a.published else f"- **A** {a.title}",
                  f"  {excerpt(a.body)}",
                  f"- **B** {b.title} ({b.published:%Y-%m-%d %H:%M})" if b.published else f"- **B** {b.title}",
                  f"  {excerpt(b.body)}", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(chosen)} pairs to {args.out}")


if __name__ == "__main__":
    main()
