"""The crawl worker: ``python -m indexer.crawl.runner DATA_DIR CONFIG_JSON``.

Runs Scrapy's CrawlerProcess with :class:`~indexer.crawl.spider.NewsSpider`
and prints one JSON progress line per second on stdout (``fetched``,
``failed``, ``queued``, ``rate``, ``final``).  Started by
:func:`indexer.crawl.crawl`; see that package's docstring for why a process.
"""
from __future__ import annotations

import json
import logging
import sys


def main(argv: list[str]) -> int:
    from scrapy.crawler import CrawlerProcess

    from .config import CrawlConfig
    from .spider import NewsSpider, settings_for

    data_root, config_json = argv
    config = CrawlConfig.from_json(json.loads(config_json))
    process = CrawlerProcess(settings_for(config))
    # the fetch log records every failure with its reason; Scrapy need not shout them too
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)
    process.crawl(NewsSpider, config=config.to_json(), data_root=data_root)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
