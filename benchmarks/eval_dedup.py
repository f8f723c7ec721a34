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
  reading.  The judgements of the committed sample are in benchmarks/results/dedup.md.

Usage: .venv/bin/python benchmarks/eval_dedup.py [--pairs 50] [--seed 1987] [--out PATH]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=0, help="sample this many pairs to read")
    ap.add_argument("--seed", type=int, default=1987)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "dedup_pairs.md")
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
