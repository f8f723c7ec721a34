"""Per-host politeness on top of Scrapy: robots.txt Crawl-delay and AutoThrottle together.

Scrapy obeys robots.txt Allow/Disallow but not its ``Crawl-delay``, and its
AutoThrottle may lower a host's delay down to ``DOWNLOAD_DELAY``.  This
extension (used instead of Scrapy's AutoThrottle) reads each host's
Crawl-delay when Scrapy parses robots.txt and keeps that host's download slot
at or above it, while still slowing down for hosts that answer slowly.
"""
from __future__ import annotations

from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.httpobj import urlparse_cached


class Politeness(AutoThrottle):
    """AutoThrottle (when ``NEWSDESK_AUTOTHROTTLE``) with robots.txt Crawl-delay as a floor."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.adjust = crawler.settings.getbool("NEWSDESK_AUTOTHROTTLE")
        self.debug = crawler.settings.getbool("AUTOTHROTTLE_DEBUG")
        self.target_concurrency = crawler.settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY")
        self.agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings["USER_AGENT"]
        self.floors: dict[str, float] = {}
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    def _response_downloaded(self, response, request, spider) -> None:
        if self.adjust:
            super()._response_downloaded(response, request, spider)

    def _adjust_delay(self, slot, latency, response) -> None:
        super()._adjust_delay(slot, latency, response)
        floor = self.floors.get(urlparse_cached(response).hostname or "")
        if floor:
            slot.delay = max(slot.delay, floor)

    def _robots_parsed(self, robotparser, request) -> None:
        delay = robotparser.crawl_delay(self.agent)
        if not delay:
            return
        host = urlparse_cached(request).hostname or ""
        self.floors[host] = float(delay)
        downloader = self.crawler.engine.downloader
        settings = downloader.per_slot_settings.setdefault(host, {})
        settings["delay"] = max(float(delay), settings.get("delay", 0.0))
        slot = downloader.slots.get(host)
        if slot is not None:
            slot.delay = max(slot.delay, float(delay))
