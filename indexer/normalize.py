"""HTML page -> clean article fields, structured data first.

Order of evidence for each field: JSON-LD (NewsArticle and friends), then
OpenGraph / meta / microdata, then the document itself (``<h1>``, ``<title>``,
``<time>``, ``<html lang>``).  The main text comes from trafilatura in its
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
    h1_text = _headline(soup, [og_title, clean_title(head_title, site_name)], site_name)
    title = (_text(ld.get("headline")) or _text(ld.get("name")) or og_title or h1_text
             or _meta(soup, "headline") or _itemprop_text(soup, "headline")
             or clean_title(head_title, site_name))
    canonical = soup.find("link", rel="canonical")
    page_url = (_text(canonical.get("href")) if canonical else "") or _meta(soup, "og:url") or \
        _text(ld.get("url")) or url
    if url and page_url and not page_url.startswith("http"):
        from urllib.parse import urljoin
        page_url = urljoin(url, page_url)
    time_tag = soup.find("time", attrs={"itemprop": "datePublished"}) or soup.find("time", datetime=True)
    published = _first_date(
        ld.get("datePublished"), ld.get("dateCreated"),
        _meta(soup, "article:published_time", "datePublished", "og:article:published_time",
              "pubdate", "publishdate", "publish-date", "parsely-pub-date", "sailthru.date",
              "dc.date.issued", "DC.date.issued", "dcterms.created", "dc.date", "DC.date", "date"),
        (time_tag.get("datetime") or time_tag.get("content")) if time_tag else None,
        ld.get("dateModified"), _meta(soup, "article:modified_time")) or _date_in_text(text)
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
