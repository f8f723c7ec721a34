"""Measure newsdesk's HTML normalizer on the article-extraction benchmark.

Reads ../shared/data/article-extraction (html/<key>.html.gz, ground-truth.json,
evaluate.py) and prints:

1. Body extraction: F1 / precision / recall (the benchmark's own 4-gram
   shingle metric, imported from its evaluate.py, with bootstrap ± std) for
   ``indexer.normalize`` beside plain trafilatura's own output
   (``trafilatura.extract(html)``, default settings) on the same pages.
2. How many of these pages (all real articles) the not-an-article rule rejects.
3. Titles and dates.  There is no human ground truth for them, so the set is
   built from each page's own structured data: the gold title is the JSON-LD
   article ``headline`` and ``og:title``, the gold date ``datePublished`` and
   ``article:published_time``; a page is in the set when it states the field
   and, stating it twice, agrees with itself (a JSON-LD headline that differs
   from og:title is a second headline, not an error; such pages are counted
   as "ambiguous" and left out).  Predicted = ``normalize()`` of the page with
   (A) every JSON-LD script removed, and (B) JSON-LD *and* every ``<meta>``
   removed, so only ``<title>``, ``<h1>``, ``<time>``, microdata and the text
   are left.  A title matches when its words are equal ignoring case and
   punctuation (and a leading or trailing " | Site name" segment the gold may
   carry); a date matches when it is the same calendar day, each value in its
   own offset (a page's visible date rarely carries the time of day).  For B it
   also prints a ceiling: the share of pages that still show the gold value
   somewhere (the title's words in sequence; the day written out in the text, a
   ``datetime``/``content`` attribute or the URL).  A page that does not show it
   cannot be read right: a headline the page never prints, a UTC date a day after
   the local date the page shows, an original date behind an "updated" one.

How set B is read (``indexer.normalize``, general rules, no per-site tuning):

* Title (:func:`~indexer.normalize.visible_title`): candidates are ``<title>``
  with the site's name cut (the segment after " | ", " - ", " — ", " :: "… that
  an ``<h1>`` logo repeats or that spells the host name, else a short trailing
  one) and the ``<h1>``s (and microdata ``itemprop=headline``) that are not the
  logo or a short label.  An ``<h1>`` with the same words as ``<title>`` wins;
  otherwise the candidate the page repeats most (share links, ``data-title``,
  inline JSON, alt text; URL slugs excluded, a title nested in a longer one
  counted alone) wins, and ``<title>`` wins ties.
* Date (:func:`~indexer.normalize.visible_date`): microdata ``datePublished``; an
  element marked as the publication date (class/id "published", "posted",
  ``<time pubdate>``…); the byline under the headline ("Published 3 March 2024
  10:30 GMT", "Nov. 19, 2019 8:03 am ET", "5:45 AM PST 11/19/2019"; photo
  captions skipped); ``<time datetime>``; other date/byline elements; dates
  introduced as "Updated" skipped, "Published" preferred.  A URL date
  (``/2024/03/05/``) is the publication day: the first candidate on that day
  gives the time and zone, else the URL's day wins.  A time shown without a zone
  takes the zone of a ``<time datetime>`` stating the same moment.  Zones written
  on the page are kept (ET/PT… through the tz database, for the right DST).
  htmldate is the last resort.

Figures (121 pages): body F1 0.976 (trafilatura default 0.954); A title 1.000
(106/106), A date 0.976 (83/85); B title 0.962 (102/106, before 0.868), B date
0.859 (73/85, before 0.765).  Both B figures are at their ceilings: the 4 titles
and 12 dates still missed are not shown on the stripped pages at all.

Usage: .venv/bin/python benchmarks/eval_extraction.py [--data DIR] [--n-bootstrap N]
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from html import unescape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.normalize import json_ld, normalize, parse_datetime

DEFAULT_DATA = REPO.parent / "shared" / "data" / "article-extraction"


def load_metric(data: Path):
    """The benchmark's evaluate.py as a module (its ``evaluate`` function is the metric)."""
    spec = importlib.util.spec_from_file_location("article_extraction_evaluate", data / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pages(data: Path) -> dict[str, tuple[str, bytes]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return {key: (item.get("url", ""), gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()))
            for key, item in truth.items()}


def body_scores(metric, truth: dict, predicted: dict[str, str], n_bootstrap: int) -> dict:
    return metric.evaluate(truth, {k: {"articleBody": v} for k, v in predicted.items()}, n_bootstrap)


_LD = re.compile(rb"<script[^>]*ld\+json[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)
_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", (text or "").casefold())


def _same_day(gold, got) -> bool:
    """Same calendar day, each in its own offset (a page shows its local date)."""
    return bool(gold and got) and got.date() == gold.date()


_SEGMENT = re.compile(r"\s+[|\-–—:·•»]\s+")


def _same_title(gold: str, got: str) -> bool:
    """Equal words, or equal once a leading/trailing " | Site" or "Section |" segment is cut."""
    if _words(gold) == _words(got):
        return True
    parts = _SEGMENT.split(gold)
    return len(parts) > 1 and _words(got) in (_words(" ".join(parts[:-1])), _words(" ".join(parts[1:])))


def structured_gold(html: bytes) -> dict:
    """{"title": …, "date": …} the page states about itself, None where absent or self-contradictory."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    ld, _ = json_ld(soup)

    def meta(name):
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        return " ".join(tag.get("content", "").split()) if tag else ""

    def text(v):
        v = v[0] if isinstance(v, list) and v else v
        return " ".join(unescape(v).split()) if isinstance(v, str) else ""

    titles = [t for t in (text(ld.get("headline")), unescape(meta("og:title"))) if _words(t)]
    dates = [d for d in (parse_datetime(text(ld.get("datePublished"))),
                         parse_datetime(meta("article:published_time"))) if d and d.year > 1900]
    gold = {"title": None, "date": None}
    if titles:
        same = all(_words(t) == _words(titles[0]) or _words(titles[0])[:len(_words(t))] == _words(t)
                   or _words(t)[:len(_words(titles[0]))] == _words(titles[0]) for t in titles)
        gold["title"] = min(titles, key=len) if same else "ambiguous"
    if dates:
        gold["date"] = dates[0] if all(_same_day(dates[0], d) for d in dates) else "ambiguous"
    return gold


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _day_spellings(day) -> list[str]:
    """The ways a page commonly writes a calendar day (ISO, US and European numerals, English
    month names in full, abbreviated and dotted)."""
    y, m, d = day.year, day.month, day.day
    names = [_MONTHS[m - 1], _MONTHS[m - 1][:3], _MONTHS[m - 1][:3] + ".", _MONTHS[m - 1][:4] + "."]
    forms = [f"{y}-{m:02}-{d:02}", f"{y}/{m:02}/{d:02}", f"{y}/{m}/{d}/", f"{m}/{d}/{y}",
             f"{m:02}/{d:02}/{y}", f"{d:02}.{m:02}.{y}", f"{d}.{m}.{y}", f"{d:02}/{m:02}/{y}"]
    for name in names:
        forms += [f"{name} {d}, {y}", f"{name} {d} {y}", f"{d} {name} {y}", f"{d} {name}, {y}"]
    return [f.casefold() for f in forms]


def shown(html: bytes, url: str, gold) -> bool:
    """Whether a page stripped of structured data still shows the gold value anywhere: the
    title's words in sequence, or the date's day written out (text, attributes, URL).  A
    miss on a page that does not show it cannot be fixed by reading the page."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    if isinstance(gold, str):
        key = " " + " ".join(_words(gold)) + " "
        return key in " " + " ".join(_words(unescape(html.decode("utf-8", "replace")))) + " "
    text = " ".join(soup.get_text(" ").split()) + " " + " ".join(
        str(t.get("datetime") or t.get("content") or "") for t in soup.find_all(["time", "span", "div"])
        if t.get("datetime") or t.get("content")) + " " + url
    text = text.casefold()
    return any(form in text for form in _day_spellings(gold))


def field_accuracy(docs: dict[str, tuple[str, bytes]]):
    """{"A title": (right, total), …}, the B misses whose value the page does not show, and
    the misses, for the sets described above."""
    tally = {f"{s} {f}": [0, 0] for s in "AB" for f in ("title", "date")}
    ambiguous = {"title": 0, "date": 0}
    hidden = {"title": 0, "date": 0}
    misses: list[str] = []
    for key, (url, html) in docs.items():
        gold = structured_gold(html)
        for name in ambiguous:
            ambiguous[name] += gold[name] == "ambiguous"
        for variant, stripped in (("A", _LD.sub(b"", html)), ("B", _META.sub(b"", _LD.sub(b"", html)))):
            page = normalize(stripped, url=url)
            for name, got, ok in (
                    ("title", page.title, _same_title),
                    ("date", page.published, _same_day)):
                want = gold[name]
                if want in (None, "ambiguous"):
                    continue
                right = ok(want, got)
                tally[f"{variant} {name}"][0] += right
                tally[f"{variant} {name}"][1] += 1
                if not right:
                    note = ""
                    if variant == "B" and not shown(stripped, url, want):
                        hidden[name] += 1
                        note = "  (not shown on the page)"
                    misses.append(f"  {variant} {name} {key[:10]}: {want!s} != {got!s}{note}")
    return {k: tuple(v) for k, v in tally.items()}, ambiguous, hidden, misses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n-bootstrap", type=int, default=200)
    parser.add_argument("--misses", action="store_true", help="list the title/date misses")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"{args.data} is absent: this benchmark needs ../shared/data/article-extraction")
    import trafilatura

    metric = load_metric(args.data)
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    docs = pages(args.data)

    started = time.perf_counter()
    normalized = {k: normalize(html, url=url) for k, (url, html) in docs.items()}
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    plain = {k: trafilatura.extract(html) or "" for k, (url, html) in docs.items()}
    plain_s = time.perf_counter() - started

    print(f"article-extraction benchmark: {len(docs)} pages, metric from its evaluate.py "
          f"(±: {args.n_bootstrap} bootstrap samples)")
    print(f"{'extractor':<28} {'F1':<14} {'precision':<14} {'recall':<14} {'s/page':>7}")
    for name, predicted, secs in (
            ("newsdesk (normalize)", {k: p.body for k, p in normalized.items()}, ours_s),
            (f"trafilatura {trafilatura.__version__} (default)", plain, plain_s)):
        m = body_scores(metric, truth, predicted, args.n_bootstrap)
        print(f"{name:<28} {m['f1']:.3f} ± {m['f1_std']:.3f}  {m['precision']:.3f} ± "
              f"{m['precision_std']:.3f}  {m['recall']:.3f} ± {m['recall_std']:.3f}  "
              f"{secs / len(docs):7.3f}")

    rejected = [(k, p.not_article) for k, p in normalized.items() if not p.is_article]
    print(f"not-an-article rule: {len(docs) - len(rejected)}/{len(docs)} article pages kept"
          + "".join(f"\n  rejected {k[:10]}: {why}" for k, why in rejected))

    tally, ambiguous, hidden, misses = field_accuracy(docs)
    print("titles and dates vs the pages' own JSON-LD/OpenGraph (A: JSON-LD removed; "
          f"B: JSON-LD and <meta> removed; left out as self-contradictory: "
          f"{ambiguous['title']} titles, {ambiguous['date']} dates):")
    for name, (right, total) in tally.items():
        line = f"  {name:<8} accuracy {right / total if total else 0:.3f}  ({right}/{total})"
        field = name.split()[1]
        if name.startswith("B") and total:
            line += (f"   ceiling {(total - hidden[field]) / total:.3f}: {hidden[field]} pages "
                     f"do not show the gold {field}")
        print(line)
    if args.misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
