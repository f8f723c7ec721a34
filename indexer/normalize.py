"""HTML page -> clean article fields, structured data first.

Order of evidence: JSON-LD (NewsArticle and friends), then OpenGraph / meta
tags, then the document itself.  The main text is the densest block of
paragraphs, with navigation, asides, figures, forms and scripts removed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from bs4 import BeautifulSoup

from .articles import canonical_url, parse_date
from .errors import BadInput

CLUTTER = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form",
           "figure", "figcaption", "iframe", "svg", "button")
ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting",
                 "AnalysisNewsArticle", "OpinionNewsArticle", "WebPage"}


@dataclass
class Page:
    title: str = ""
    body: str = ""
    url: str = ""
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str = ""
    description: str = ""
    site_name: str = ""


def _json_ld(soup: BeautifulSoup) -> dict:
    """The first JSON-LD object whose @type is an article type (searching @graph too)."""
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if not isinstance(item, dict):
                continue
            stack.extend(item.get("@graph") or [])
            kinds = item.get("@type")
            kinds = set(kinds) if isinstance(kinds, list) else {kinds}
            if kinds & ARTICLE_TYPES:
                return item
    return {}


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return tag["content"].strip()
    return ""


def _names(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return names


def _safe_date(*candidates) -> datetime | None:
    for candidate in candidates:
        try:
            if candidate and (dt := parse_date(candidate)):
                return dt
        except BadInput:
            continue
    return None


def main_text(soup: BeautifulSoup) -> str:
    """Paragraph text of the container holding the most paragraph text."""
    for tag in soup.find_all(CLUTTER):
        tag.decompose()
    root = soup.find("article") or soup.find(attrs={"itemprop": "articleBody"}) or soup.body or soup
    best, best_len = root, 0
    for container in [root, *root.find_all(["div", "section", "main", "article"])]:
        size = sum(len(p.get_text(" ", strip=True)) for p in container.find_all("p", recursive=False))
        if size > best_len:
            best, best_len = container, size
    paragraphs = [" ".join(p.get_text(" ", strip=True).split()) for p in best.find_all("p")]
    paragraphs = [p for p in paragraphs if len(p) > 1]
    if not paragraphs:
        return " ".join(root.get_text(" ", strip=True).split())
    return "\n\n".join(paragraphs)


def normalize(html: bytes | str, *, url: str = "") -> Page:
    """Extract the article fields of one page; ``url`` is where it was fetched from."""
    soup = BeautifulSoup(html, "html.parser")
    ld = _json_ld(soup)
    canonical = soup.find("link", rel="canonical")
    page_url = (ld.get("url") if isinstance(ld.get("url"), str) else "") or \
        (canonical.get("href", "") if canonical else "") or _meta(soup, "og:url") or url
    title = (ld.get("headline") if isinstance(ld.get("headline"), str) else "") or \
        _meta(soup, "og:title", "twitter:title") or \
        (soup.title.get_text(strip=True) if soup.title else "")
    h1 = soup.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    time_tag = soup.find("time", datetime=True)
    published = _safe_date(ld.get("datePublished"), _meta(soup, "article:published_time",
                           "datePublished", "pubdate", "date", "dc.date", "DC.date.issued"),
                           time_tag["datetime"] if time_tag else None)
    authors = _names(ld.get("author")) or _names(_meta(soup, "author", "article:author"))
    publisher = ld.get("publisher")
    site_name = _meta(soup, "og:site_name") or (publisher.get("name", "") if isinstance(publisher, dict) else "")
    html_tag = soup.find("html")
    language = (html_tag.get("lang", "") if html_tag else "") or _meta(soup, "og:locale")
    body = ld.get("articleBody") if isinstance(ld.get("articleBody"), str) else ""
    return Page(
        title=" ".join(title.split()), body=body.strip() or main_text(soup),
        url=canonical_url(page_url) if page_url else "", published=published, authors=authors,
        language=language.split("-")[0].split("_")[0].lower(), site_name=site_name,
        description=_meta(soup, "description", "og:description"),
    )
