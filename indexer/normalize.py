"""HTML page -> clean article fields, structured data first.

Order of evidence for each field: JSON-LD (NewsArticle and friends), then
OpenGraph / meta / microdata, then the document itself (``<h1>``, ``<title>``,
``<time>``, ``<html lang>``).  Without structured data, the title is chosen
between ``<title>`` (site name cut) and the ``<h1>``s by agreement
(:func:`visible_title`), and the date is read from what the page shows
(:func:`visible_date`: microdata, a publication-date element, the byline under
the headline, ``<time>``, checked against a date in the URL; then htmldate).
The main text comes from trafilatura in its
precision mode, with two additions measured on the article-extraction
benchmark (``benchmarks/eval_extraction.py``):

* a fallback to the publisher-marked body (``itemprop="articleBody"`` or the
  JSON-LD ``articleBody``) when trafilatura's text is less than half its size
  (paywall stubs, pages whose text lies off trafilatura's beaten path);
* a line cleaner that drops what trafilatura keeps at the edges of a story:
  the headline repeated, a date/byline/reading-time line, and "read more",
  "related", share/follow/subscribe and comment-count lines.

Not every page is an article.  ``Page.not_article`` gives the reason, by one
rule (see :func:`classify`): a page that *declares* an article type
(JSON-LD ``*Article``/``BlogPosting`` or ``og:type=article``) is one if its body
has at least ``MIN_DECLARED_WORDS`` words; a page declaring another type
(``og:type=website``/``video.*``, JSON-LD ``CollectionPage``, ``VideoObject``…)
is one only with ``MIN_LONG_WORDS`` words of body; an undeclared page needs
``MIN_WORDS`` words in ``MIN_PARAGRAPHS`` paragraphs and a link density
(share of the page's text inside links) below ``MAX_LINK_DENSITY``.
"""
from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import unescape

from bs4 import BeautifulSoup

from .articles import Article, article_id, canonical_url

ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting",
                 "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
                 "ReviewNewsArticle", "LiveBlogPosting", "Report", "TechArticle",
                 "ScholarlyArticle", "SatiricalArticle", "AskPublicNewsArticle"}
OTHER_TYPES = {"CollectionPage", "ItemList", "VideoObject", "WebSite", "SearchResultsPage",
               "ProfilePage", "AboutPage", "ContactPage", "Product", "Event", "ImageGallery",
               "MediaGallery", "VideoGallery"}
MIN_DECLARED_WORDS = 15
MIN_LONG_WORDS = 300
MIN_WORDS = 120
MIN_PARAGRAPHS = 3
MAX_LINK_DENSITY = 0.5
FALLBACK_RATIO = 0.5
BYLINE_CHARS = 400


@dataclass
class Page:
    """What the normalizer found in one page; ``published`` keeps the page's own offset."""

    title: str = ""
    body: str = ""
    url: str = ""
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str = ""
    description: str = ""
    site_name: str = ""
    page_type: str = ""      # the declared type: JSON-LD @type or og:type, "" when none
    not_article: str = ""    # why this page is not an article; "" when it is one

    @property
    def is_article(self) -> bool:
        return not self.not_article

    def to_article(self, *, source: str = "", source_id: str = "") -> Article:
        """The Article of this page; its id comes from the canonical URL when there is one."""
        source = source or self.site_name
        return Article(
            id=article_id(url=self.url, source=source or "html", source_id=source_id,
                          title=self.title),
            title=self.title, body=self.body, url=self.url, source=source,
            published=self.published, authors=tuple(self.authors),
            language=self.language or "en")

    def to_json(self) -> dict:
        return {"url": self.url, "title": self.title,
                "published": self.published.isoformat() if self.published else None,
                "authors": list(self.authors), "language": self.language, "body": self.body,
                "description": self.description, "site_name": self.site_name,
                "is_article": self.is_article, "not_article": self.not_article}


# -- decoding -----------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)""", re.IGNORECASE)
_WEB_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _WEB_ALIASES.get(name, name)  # browsers read latin-1 as windows-1252
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    match = re.search(r"charset\s*=\s*([^\s;]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """Bytes -> text: BOM, then the HTTP charset, then ``<meta charset>``, then UTF-8, then cp1252."""
    if isinstance(data, str):
        return data
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace")
    meta = _META_CHARSET.search(data[:4096])
    for name in (_codec(charset_of(content_type)), _codec(meta.group(1).decode() if meta else None)):
        if name:
            try:
                return data.decode(name)
            except UnicodeDecodeError:
                continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


# -- structured data ----------------------------------------------------------

def _types(item: dict) -> set[str]:
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def json_ld(soup: BeautifulSoup) -> tuple[dict, set[str]]:
    """The first JSON-LD object of an article type (searching @graph), and every type seen."""
    seen: set[str] = set()
    found: dict = {}
    for script in soup.find_all("script", type=re.compile("ld\\+json", re.IGNORECASE)):
        try:
            data = json.loads(script.string or "", strict=False)
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if not isinstance(item, dict):
                continue
            stack.extend(x for x in (item.get("@graph") or []) if isinstance(x, dict))
            kinds = _types(item)
            seen |= kinds
            if not found and kinds & ARTICLE_TYPES:
                found = item
    return found, seen


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            tag = soup.find("meta", attrs={attr: name})
            if tag and tag.get("content", "").strip():
                return " ".join(tag["content"].split())
    return ""


def _text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url") or value.get("name") or ""
    return " ".join(unescape(value).split()) if isinstance(value, str) else ""


def _names(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    names: list[str] = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = " ".join(n for n in name if isinstance(n, str))
        if isinstance(name, str):
            for part in re.split(r"\s*(?:,|\band\b|&)\s*", re.sub(r"^\s*by\s+", "", name, flags=re.IGNORECASE)):
                part = " ".join(part.split())
                if part and not part.startswith("http") and part not in names and len(part) < 80:
                    names.append(part)
    return names


def parse_datetime(value) -> datetime | None:
    """An ISO 8601 (or RFC 822) date-time keeping its offset; a naive one is taken as UTC."""
    text = _text(value)
    if not text:
        return None
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)  # +0530 -> +05:30
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        from email.utils import parsedate_to_datetime
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _first_date(*candidates) -> datetime | None:
    for candidate in candidates:
        dt = parse_datetime(candidate)
        if dt and 1900 < dt.year < 2100:
            return dt
    return None


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+")


def clean_title(title: str, site_name: str = "") -> str:
    """Drop a trailing (or leading) " | Site Name" part of a <title>/og:title."""
    title = " ".join(title.split())
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site = site_name.casefold()
    if site:
        if site in parts[-1].casefold() or parts[-1].casefold() in site:
            return title[:title.rfind(parts[-1])].rstrip(" |-–—:·•»")
        if site in parts[0].casefold():
            return title[len(parts[0]):].lstrip(" |-–—:·•»")
    if len(parts[-1].split()) <= 3 and len(parts[0].split()) >= 4:
        return title[:title.rfind(parts[-1])].rstrip(" |-–—:·•»")
    return title


# -- main text ----------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"^\W*(related( posts?| articles?| stories| content)?|read more|read next|see more|see also|"
    r"more( on this| from \w+)?|also (read|on|see)\b.*|don'?t miss|you (may|might) (also )?like|"
    r"recommended( for you)?|tags?|filed under|topics?|share( this)?( article| story)?|"
    r"\d*\s*comments?|advertisement|sponsored|sign up\b.*|subscribe\b.*|"
    r"follow (us|\w+( \w+)?) on\b.*|click (here|to tweet)\b.*|like this (story|article)\?.*|"
    r"listen\b.*|download\b.*)\W*$", re.IGNORECASE)
_CALL_TO_ACTION = re.compile(r"\b(share (it|this)|follow us|subscribe|newsletter|sign up|"
                             r"click here|comments?|all rights reserved|copyright)\b", re.IGNORECASE)
_DATE_LINE = re.compile(r"\b(1[89]|20)\d\d\b|\b\d{1,2}:\d\d\b|\bmin(ute)?s?\b.*\bread\b|"
                        r"\bread(ing)? time\b|\btempo de leitura\b|^by\s", re.IGNORECASE)
_TRAILING_TWEET = re.compile(r"\s*Click To Tweet\s*$", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _is_title_line(line: str, titles: list[str]) -> bool:
    words = [w.casefold() for w in _words(line)]
    if not words:
        return True
    for title in titles:
        twords = [w.casefold() for w in _words(title)]
        if twords and (words == twords or (len(words) >= 4 and " ".join(words) in " ".join(twords))):
            return True
    return False


def clean_lines(text: str, titles: list[str]) -> str:
    """Drop the edges trafilatura keeps: headline, date/byline lines, calls to action."""
    lines = [_TRAILING_TWEET.sub("", " ".join(line.split())) for line in text.splitlines()]
    lines = [line for line in lines if line]
    # the head: the headline repeated and short date / byline / reading-time lines
    while lines and len(lines) > 1:
        head = lines[0]
        short = len(_words(head)) <= 12
        if _is_title_line(head, titles) or (short and _DATE_LINE.search(head)):
            lines.pop(0)
            continue
        break
    kept: list[str] = []
    for line in lines:
        n = len(_words(line))
        if _BOILERPLATE.match(line) or (n <= 14 and _CALL_TO_ACTION.search(line)):
            continue
        kept.append(line)
    return "\n\n".join(kept)


def _trafilatura(html: str) -> str:
    import trafilatura
    return trafilatura.extract(html, favor_precision=True, include_comments=False,
                               include_tables=True) or ""


def _marked_body(soup: BeautifulSoup) -> str:
    """The publisher-marked article body (microdata), run through trafilatura alone."""
    marked = soup.find_all(attrs={"itemprop": "articleBody"})
    if not marked:
        return ""
    node = max(marked, key=lambda n: len(n.get_text()))
    return _trafilatura(f"<html><body>{node}</body></html>")


def main_text(html: str, soup: BeautifulSoup, ld: dict, titles: list[str]) -> str:
    """The article's main text: trafilatura, else a longer publisher-marked body; cleaned."""
    text = _trafilatura(html)
    for fallback in (lambda: _marked_body(soup),
                     lambda: ld.get("articleBody") if isinstance(ld.get("articleBody"), str) else ""):
        if len(text) >= 200:
            candidate = fallback() or ""
            if len(text) >= FALLBACK_RATIO * len(candidate):
                continue
        else:
            candidate = fallback() or ""
        if len(candidate) > len(text):
            text = candidate
    return clean_lines(text, titles)


# -- classification -----------------------------------------------------------

def link_density(soup: BeautifulSoup) -> float:
    """Share of the page's visible text that sits inside links."""
    body = soup.body or soup
    total = len(" ".join(body.get_text(" ").split()))
    linked = sum(len(" ".join(a.get_text(" ").split())) for a in body.find_all("a"))
    return linked / total if total else 1.0


def classify(body: str, declared: set[str], og_type: str, density: float) -> str:
    """Why a page is not an article ("" when it is one); the rule in the module docstring."""
    words = len(_words(body))
    paragraphs = sum(1 for p in body.splitlines() if len(_words(p)) >= 8)
    if not words:
        return "not an article: no text"
    if declared & ARTICLE_TYPES or og_type == "article":
        if words >= MIN_DECLARED_WORDS:
            return ""
        return f"not an article: {words} words"
    if (declared & OTHER_TYPES) or (og_type and og_type != "article"):
        kind = og_type or min(declared & OTHER_TYPES)
        if words >= MIN_LONG_WORDS:
            return ""
        return f"not an article: a {kind} page with {words} words"
    if words < MIN_WORDS or paragraphs < MIN_PARAGRAPHS:
        return f"not an article: {words} words in {paragraphs} paragraphs"
    if density > MAX_LINK_DENSITY:
        return f"not an article: link density {density:.2f}"
    return ""


# -- the whole page -------------------------------------------------------------

def normalize(html: bytes | str, *, url: str = "", content_type: str | None = None) -> Page:
    """Extract the article fields of one page; ``url`` is where it was fetched from.

    ``content_type`` is the HTTP header's value, whose charset wins over the page's.
    """
    text = decode_html(html, content_type)
    soup = BeautifulSoup(text, "lxml")
    ld, declared = json_ld(soup)
    declared |= {t.rstrip("/").rsplit("/", 1)[-1] for tag in soup.find_all(itemtype=True)
                 for t in tag["itemtype"].split()}  # microdata itemtype
    og_type = _meta(soup, "og:type").lower()
    site_name = _meta(soup, "og:site_name", "application-name") or _text(
        (ld.get("publisher") or {}).get("name") if isinstance(ld.get("publisher"), dict) else "")
    head_title = soup.title.get_text(" ") if soup.title else ""
    og_title = clean_title(_meta(soup, "og:title", "twitter:title"), site_name)
    declared_title = (_text(ld.get("headline")) or _text(ld.get("name")) or og_title
                      or _meta(soup, "headline"))
    if declared_title:
        h1_text = _headline(soup, [og_title, clean_title(head_title, site_name)], site_name)
        title = declared_title
    else:  # no structured title: choose between <title> and the <h1>s by agreement
        title, h1_text = visible_title(soup, text, head_title, site_name, url)
    canonical = soup.find("link", rel="canonical")
    page_url = (_text(canonical.get("href")) if canonical else "") or _meta(soup, "og:url") or \
        _text(ld.get("url")) or url
    if url and page_url and not page_url.startswith("http"):
        from urllib.parse import urljoin
        page_url = urljoin(url, page_url)
    published = (_first_date(
        ld.get("datePublished"), ld.get("dateCreated"),
        _meta(soup, "article:published_time", "datePublished", "og:article:published_time",
              "pubdate", "publishdate", "publish-date", "parsely-pub-date", "sailthru.date",
              "dc.date.issued", "DC.date.issued", "dcterms.created", "dc.date", "DC.date", "date"))
        or visible_date(soup, (url, page_url), _headline_tag(soup, title, h1_text))
        or _first_date(ld.get("dateModified"), _meta(soup, "article:modified_time"))
        or _date_in_text(text))
    authors = (_names(ld.get("author")) or _names(_meta(soup, "author", "article:author",
               "parsely-author", "sailthru.author", "dc.creator"))
               or _names([a.get_text(" ") for a in soup.select('[rel="author"], [itemprop="author"]')][:3]))
    html_tag = soup.find("html")
    language = _text(ld.get("inLanguage")) or (html_tag.get("lang", "") if html_tag else "") or \
        _meta(soup, "og:locale", "language", "content-language")
    titles = [t for t in (title, h1_text, og_title, clean_title(head_title, site_name)) if t]
    body = main_text(text, soup, ld, titles)
    declared_type = sorted(declared & ARTICLE_TYPES) or sorted(declared)
    return Page(
        title=title, body=body, url=canonical_url(page_url) if page_url else "",
        published=published, authors=authors,
        language=re.split(r"[-_]", language.strip())[0].lower() if language.strip() else "",
        description=_text(ld.get("description")) or _meta(soup, "description", "og:description"),
        site_name=site_name, page_type=(declared_type[0] if declared_type else og_type),
        not_article=classify(body, declared, og_type, link_density(soup)),
    )


def _date_in_text(html: str) -> datetime | None:
    """Last resort: htmldate's reading of the document (URL, visible dates); a day, in UTC."""
    from htmldate import find_date
    try:
        found = find_date(html, extensive_search=True, original_date=True)
    except (ValueError, TypeError):
        return None
    return parse_datetime(found) if found else None


def _headline(soup: BeautifulSoup, titles: list[str], site_name: str) -> str:
    """The visible headline: the first ``<h1>`` that agrees with og:title or the cleaned
    ``<title>`` (a logo ``<h1>`` holding the site's name does not)."""
    for h1 in soup.find_all("h1", limit=5):
        text = " ".join(h1.get_text(" ").split())
        if not text or (site_name and _similar(text, site_name)):
            continue
        if any(t and _similar(text, t) for t in titles):
            return text
    return ""


def _itemprop_text(soup: BeautifulSoup, prop: str) -> str:
    tag = soup.find(attrs={"itemprop": prop})
    return " ".join(tag.get_text(" ").split()) if tag and tag.name != "meta" else ""


def _similar(a: str, b: str) -> bool:
    wa, wb = {w.casefold() for w in _words(a)}, {w.casefold() for w in _words(b)}
    return bool(wa) and len(wa & wb) >= 0.6 * len(wa)


# -- title and date without structured data -------------------------------------

_SLUG = re.compile(r"\w+(?:[-_]\w+){3,}")           # url-slug-like-words: not a repetition of a title
_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
MIN_HEADLINE_CHARS = 15                              # a shorter <h1> of < 3 words is a label ("Games")


def _word_key(text: str) -> str:
    return " " + " ".join(w.casefold() for w in _words(_SLUG.sub(" ", text))) + " "


def _page_words(html: str) -> str:
    """The whole document (attributes, inline data, share links) as one string of words."""
    from urllib.parse import unquote_plus
    text = _JS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), unescape(html))
    return _word_key(unquote_plus(text))


def _host_labels(url: str) -> list[str]:
    from urllib.parse import urlsplit
    labels = (urlsplit(url).hostname or "").lower().split(".")[:-1]
    return [x for x in labels if len(x) >= 3 and x not in ("www", "com", "org", "net", "news")]


def _site_segment(head: str, h1s: list[str], url: str) -> str:
    """The part of ``<title>`` that names the site: the last segment when an ``<h1>`` (a
    logo) says the same, or the first or last segment when it spells the host name."""
    parts = _TITLE_SEPARATORS.split(head)
    if len(parts) < 2:
        return ""
    last = _word_key(parts[-1])
    if last.strip() and any(_word_key(h) == last for h in h1s):
        return parts[-1]
    labels = _host_labels(url)
    for part in (parts[-1], parts[0]):
        joined = "".join(_words(part)).casefold()
        if len(joined) >= 3 and any(label in joined or joined in label for label in labels):
            return part
    return ""


def _in_main(tag) -> bool:
    return any(p.name in ("article", "main") or p.get("itemprop") == "articleBody"
               for p in tag.parents if getattr(p, "get", None))


def visible_title(soup: BeautifulSoup, html: str, head_title: str, site_name: str,
                  url: str) -> tuple[str, str]:
    """(title, headline ``<h1>``) of a page without JSON-LD/OpenGraph titles.

    Candidates are ``<title>`` without the site's name and the ``<h1>``s (and a
    microdata ``itemprop=headline``) that are not the site's logo or a short label.
    When they disagree, the page decides: the candidate it repeats most often
    (share links, ``data-title`` attributes, inline JSON, image alt text; URL
    slugs do not count) wins, and ``<title>`` wins a tie.
    """
    head = " ".join(head_title.split())
    tags = soup.find_all("h1", limit=8)
    marked = soup.find(attrs={"itemprop": "headline"})
    if marked is not None and marked.name != "meta":
        tags = [marked, *tags]
    h1s: list[tuple[str, bool]] = []
    for tag in tags:
        text = " ".join(tag.get_text(" ").split())
        if text and text not in [h for h, _ in h1s]:
            h1s.append((text, _in_main(tag)))
    site = site_name or _site_segment(head, [h for h, _ in h1s], url)
    cleaned = clean_title(head, site)
    if site and _word_key(cleaned) == _word_key(site):
        cleaned = ""                                   # <title> is only the site's name
    headlines = [(h, main) for h, main in h1s
                 if not (site and _word_key(h) == _word_key(site))
                 and (len(_words(h)) >= 3 or len(h) >= MIN_HEADLINE_CHARS)]
    if not headlines:
        return cleaned or (h1s[0][0] if h1s else ""), ""
    if not cleaned:
        return headlines[0][0], headlines[0][0]
    agreeing = [h for h, _ in headlines if _word_key(h) == _word_key(cleaned)]
    if agreeing:
        return agreeing[0], agreeing[0]
    words = _page_words(html)
    keys = {h: _word_key(h) for h, _ in headlines} | {cleaned: _word_key(cleaned)}
    counts = {h: words.count(k) for h, k in keys.items()}
    # "Doobie Brothers Unite…" occurs inside every "The Doobie Brothers Unite…": count it alone
    support = {h: counts[h] - sum(counts[o] for o, ko in keys.items() if ko != k and k in ko)
               for h, k in keys.items()}
    best = max(headlines, key=lambda c: (support[c[0]], c[1]))[0]  # ties: inside <article>/<main>
    if support[best] > support[cleaned]:
        return best, best
    return cleaned, best if _similar(best, cleaned) else ""


def _headline_tag(soup: BeautifulSoup, *titles: str):
    """The element showing the headline (an ``<h1>`` equal to a title), else the first ``<h1>``."""
    keys = {_word_key(t) for t in titles if t}
    first = None
    for tag in soup.find_all(["h1", "h2"], limit=12):
        if tag.name == "h1" and first is None:
            first = tag
        if _word_key(tag.get_text(" ")) in keys:
            return tag
    return first


_MONTHS = {m: i for i, names in enumerate((
    ("jan", "january", "janvier", "januar", "enero", "gennaio", "janeiro"),
    ("feb", "february", "février", "fevrier", "februar", "febrero", "febbraio", "fevereiro"),
    ("mar", "march", "mars", "märz", "marz", "marzo", "março"),
    ("apr", "april", "avril", "abril", "aprile"),
    ("may", "mai", "mayo", "maggio", "maio"),
    ("jun", "june", "juin", "juni", "junio", "giugno", "junho"),
    ("jul", "july", "juillet", "juli", "julio", "luglio", "julho"),
    ("aug", "august", "août", "aout", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre", "settembre", "setembro"),
    ("oct", "october", "octobre", "oktober", "octubre", "ottobre", "outubro"),
    ("nov", "november", "novembre", "noviembre", "novembro"),
    ("dec", "december", "décembre", "decembre", "dezember", "diciembre", "dicembre", "dezembro"),
), start=1) for m in names}
_MONTH = r"(?P<mon>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_FORMS = [
    re.compile(rf"\b{_YEAR}-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)(?!\d)"),                # 2024-03-05
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),             # March 5, 2024
    re.compile(rf"\b{_DAY}\.?\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}\b", re.IGNORECASE),  # 5 March 2024
    re.compile(rf"\b(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.{_YEAR}\b"),                  # 05.03.2024
    re.compile(rf"\b(?P<a>[01]?\d)/(?P<b>[0-3]?\d)/{_YEAR}\b"),                     # 3/5/2024 (US order)
    re.compile(rf"\b{_YEAR}/(?P<m>[01]?\d)/(?P<d>[0-3]?\d)\b"),                     # 2024/03/05
]
_CLOCK = re.compile(r"(?<![\d:])(?P<h>[0-2]?\d)(?::(?P<min>[0-5]\d))(?::(?P<s>[0-5]\d))?\s*"
                    r"(?P<ampm>[ap]\.?\s?m\b\.?)?|(?<![\d:])(?P<h2>1?\d)\s*(?P<ampm2>[ap]\.?\s?m\b\.?)",
                    re.IGNORECASE)
_ZONE = re.compile(r"^\s*(?:\(?\s*)(?P<z>(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d\d)?|[+-]\d\d:?\d\d|"
                   r"GMT|UTC|Z|BST|CET|CEST|EET|EEST|WET|WEST|MSK|IST|JST|KST|HKT|SGT|AEST|AEDT|"
                   r"EST|EDT|CST|CDT|MST|MDT|PST|PDT|ET|CT|MT|PT)\b")
_ZONE_OFFSETS = {"GMT": 0, "UTC": 0, "Z": 0, "BST": 60, "CET": 60, "CEST": 120, "EET": 120,
                 "EEST": 180, "WET": 0, "WEST": 60, "MSK": 180, "IST": 330, "JST": 540, "KST": 540,
                 "HKT": 480, "SGT": 480, "AEST": 600, "AEDT": 660, "EST": -300, "EDT": -240,
                 "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420}
_ZONE_NAMES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
               "PT": "America/Los_Angeles"}
_UPDATED = re.compile(r"(updated|modified|edited|revised|aktualisiert|actualizado|atualizado|"
                      r"mis à jour|aggiornato)\W*(on|at|am|le|el|em)?\W*$", re.IGNORECASE)
_PUBLISHED = re.compile(r"(published|posted|first published|publié|publicado|pubblicato|"
                        r"veröffentlicht|erschienen)\W*(on|at|am|le|el|em|il)?\W*"
                        r"((mon|tues|wednes|thurs|fri|satur|sun)day\W*)?$", re.IGNORECASE)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]([01]?\d)[/-]([0-3]?\d)(?:/|-|$)|/((?:19|20)\d\d)([01]\d)([0-3]\d)/")


def _zone(text: str, when: datetime):
    from datetime import timedelta
    match = _ZONE.match(text)
    if not match:
        return None
    name = match.group("z").upper().replace(" ", "")
    if name in _ZONE_OFFSETS:
        return timezone(timedelta(minutes=_ZONE_OFFSETS[name]))
    if name in _ZONE_NAMES:
        from zoneinfo import ZoneInfo
        try:
            return ZoneInfo(_ZONE_NAMES[name])
        except Exception:  # no time zone database
            return None
    offset = re.search(r"([+-])\s*(\d{1,2}):?(\d\d)?$", name)
    if offset:
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        return timezone(timedelta(minutes=minutes if offset.group(1) == "+" else -minutes))
    return None


def parse_visible_date(text: str) -> datetime | None:
    """The date written out in ``text`` ("Published 3 March 2024 10:30 GMT",
    "Nov. 19, 2019 8:03 am ET", "5:45 AM PST 11/19/2019") with the time and zone written
    next to it: the first one introduced as "Published"/"Posted", else the first one not
    introduced as "Updated".  The zone is kept; a date without one is taken as UTC."""
    found = _visible_date(text)
    return found[0] if found else None


def _visible_date(text: str) -> tuple[datetime, bool] | None:
    """(date, whether the text gave its zone) for :func:`parse_visible_date`."""
    text = " ".join(text.split())
    found = []
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            found.append((match.start(), match))
    found.sort(key=lambda f: (not _PUBLISHED.search(text[max(0, f[0] - 30):f[0]]), f[0]))
    for start, match in found:
        if _UPDATED.search(text[max(0, start - 30):start]):
            continue
        g = match.groupdict()
        if g.get("mon"):
            month = _MONTHS.get(g["mon"].lower().rstrip("."))
        elif g.get("a"):
            a, b = int(g["a"]), int(g["b"])
            month, g["d"] = (b, str(a)) if a > 12 else (a, str(b))
        else:
            month = int(g["m"])
        try:
            day = datetime(int(g["y"]), month or 0, int(g["d"]))
        except (TypeError, ValueError):
            continue
        # a clock right after the date (or right before it, "5:45 AM PST 11/19/2019")
        after = text[match.end():match.end() + 30]
        before = text[max(0, start - 25):start]
        clock, rest = None, ""
        m = _CLOCK.search(after)
        if m and not re.search(r"[A-Za-z]{3,}", after[:m.start()].replace("at", "")):
            clock, rest = m, after[m.end():]
        else:
            for m in _CLOCK.finditer(before):
                clock, rest = m, before[m.end():]
        if clock is not None:
            hour = int(clock.group("h") or clock.group("h2"))
            ampm = (clock.group("ampm") or clock.group("ampm2") or "").lower()
            if ampm.startswith("p") and hour < 12:
                hour += 12
            elif ampm.startswith("a") and hour == 12:
                hour = 0
            if hour < 24:
                day = day.replace(hour=hour, minute=int(clock.group("min") or 0),
                                  second=int(clock.group("s") or 0))
            tz = _zone(rest, day)
        else:
            tz = _zone(after, day)
        if not 1900 < day.year < 2100:
            continue
        return day.replace(tzinfo=tz or timezone.utc), tz is not None
    return None


def _url_date(urls) -> datetime | None:
    for url in urls:
        match = _URL_DATE.search(url or "")
        if match:
            y, m, d = [g for g in match.groups() if g]
            try:
                return datetime(int(y), int(m), int(d), tzinfo=timezone.utc)
            except ValueError:
                continue
    return None


_PUBLISH_HINT = re.compile(r"publish|posted|pubdate|post-date|postdate|entry-date|dateline|created|"
                           r"article-date|article__date|story-date|date-published", re.IGNORECASE)
_DATE_HINT = re.compile(r"date|time|byline|meta|stamp", re.IGNORECASE)
_MEDIA_HINT = re.compile(r"caption|image|img|photo|figure|media|credit|gallery|video", re.IGNORECASE)
_UPDATE_HINT = re.compile(r"updat|modif", re.IGNORECASE)


def _hints(tag) -> str:
    return " ".join([*(tag.get("class") or []), tag.get("id") or "", tag.get("itemprop") or ""])


def _time_value(tag) -> tuple[datetime, bool] | None:
    """(date, zone given?) of a ``<time>`` or microdata element: its attribute, unless that
    has no zone and its text gives one (``datetime="2019-11-20T00:53:52"`` shown as
    "Nov 19, 2019, 7:53pm EST")."""
    shown = _visible_date(tag.get_text(" "))
    raw = str(tag.get("datetime") or tag.get("content") or "").strip()
    attr = _first_date(raw)
    zoned = bool(re.search(r"(Z|[+-]\d\d:?\d\d)$", raw))
    if attr is None or (not zoned and shown and shown[1]):
        return shown
    return attr, zoned


def _updated(tag) -> bool:
    if _UPDATE_HINT.search(_hints(tag)):
        return True
    previous = tag.find_previous(string=True)
    return bool(previous and _UPDATED.search(str(previous)[-40:]))


def visible_date(soup: BeautifulSoup, urls, headline=None) -> datetime | None:
    """The publication date of a page without JSON-LD/meta dates, from what it shows.

    In order: microdata ``itemprop=datePublished``; an element marked as the
    publication date (class/id "published", "posted", "pubdate", ``<time pubdate>``…);
    the byline under the headline (the first date within ``BYLINE_CHARS`` of text after
    the ``<h1>``); ``<time datetime>``; other date/byline elements.  A date introduced as
    "Updated …" (or marked dateModified) is skipped.  A date in the URL
    (``/2024/03/05/``) is the day of publication: the first candidate on that day gives
    it its time and zone, and when none is, the URL's day wins.
    """
    candidates: list[tuple[datetime, bool]] = []

    def add(value):
        if value is not None and 1900 < value[0].year < 2100:
            candidates.append(value)

    for tag in soup.find_all(attrs={"itemprop": re.compile(r"^(datePublished|dateCreated)$")}):
        if tag.name != "meta":
            add(_time_value(tag))
    body = soup.body or soup
    for tag in body.find_all(True, attrs={"class": _PUBLISH_HINT}, limit=20) + \
            body.find_all(True, attrs={"id": _PUBLISH_HINT}, limit=5) + \
            body.find_all("time", attrs={"pubdate": True}, limit=5):
        if not _updated(tag) and len(tag.get_text(" ")) < 300:
            add(_time_value(tag) if tag.name == "time" else _visible_date(tag.get_text(" ")))
    if headline is not None:
        text, size = [], 0
        for piece in headline.find_all_next(string=True, limit=200):
            if any(p.name in ("script", "style", "noscript", "figure", "figcaption")
                   or _MEDIA_HINT.search(" ".join(p.get("class") or []))
                   for p in piece.parents if p.name not in ("body", "html", "[document]")):
                continue  # a photo caption's date ("In this Dec. 12, 2006, file photo…")
            piece = " ".join(piece.split())
            text.append(piece)
            size += len(piece) + 1
            if size > BYLINE_CHARS:
                break
        add(_visible_date(" ".join(text)[:BYLINE_CHARS]))
    for tag in body.find_all("time", limit=20):
        if not _updated(tag):
            add(_time_value(tag))
    for tag in body.find_all(True, attrs={"class": _DATE_HINT}, limit=40):
        if not _updated(tag) and len(tag.get_text(" ")) < 200:
            add(_visible_date(tag.get_text(" ")))
    if not candidates:
        return _url_date(urls)
    chosen = candidates[0]
    from_url = _url_date(urls)
    if from_url is not None:
        same_day = [c for c in candidates if c[0].date() == from_url.date()]
        if not same_day:
            return from_url
        chosen = same_day[0]
    if not chosen[1]:  # shown without a zone: the same moment stated with one, if the page has it
        for when, zoned in candidates:
            delta = (when.replace(second=0, microsecond=0)
                     - chosen[0].replace(tzinfo=when.tzinfo, second=0, microsecond=0)).total_seconds()
            if zoned and abs(delta) <= 14 * 3600 and delta % 900 == 0 and \
                    when.minute == chosen[0].minute:
                return when
    return chosen[0]
