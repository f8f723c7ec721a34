"""Article lists: the URLs in RSS/Atom feeds and XML (incl. Google News) sitemaps.

Plain functions over bytes, so they are tested without a crawl.  Sitemaps use
Scrapy's own parser (it also reads sitemap indexes); gzipped sitemaps are
unpacked first.
"""
from __future__ import annotations

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

_PARSER = {"recover": True, "resolve_entities": False, "no_network": True, "huge_tree": False}


def _root(body: bytes):
    try:
        return etree.fromstring(body, parser=etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError:
        return None


def feed_links(body: bytes) -> list[str]:
    """Item links of an RSS 2.0, RSS 1.0 or Atom feed, in feed order."""
    root = _root(body)
    if root is None:
        return []
    links: list[str] = []
    for item in root.xpath("//*[local-name()='item' or local-name()='entry']"):
        for link in item.xpath("./*[local-name()='link']"):
            href = link.get("href") if link.get("href") is not None else (link.text or "")
            if link.get("rel") not in (None, "alternate"):
                continue
            if href.strip():
                links.append(href.strip())
                break
        else:
            for guid in item.xpath("./*[local-name()='guid'][not(@isPermaLink='false')]"):
                if (guid.text or "").startswith("http"):
                    links.append(guid.text.strip())
    return links


def sitemap_links(body: bytes) -> tuple[str, list[str]]:
    """(``"urlset"`` or ``"sitemapindex"``, the ``<loc>`` URLs) of a sitemap, gzipped or not."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body)
        except OSError:
            return "", []
    try:
        sitemap = Sitemap(body)
    except (ValueError, etree.XMLSyntaxError):
        return "", []
    return sitemap.type, [entry["loc"] for entry in sitemap if entry.get("loc")]
