"""The index schema and how an Article becomes a document: one place each.

Queries are not parsed here: :mod:`indexer.query` parses the user's syntax and
:mod:`.translate` turns its tree into Whoosh queries against these fields.
"""
from __future__ import annotations

import hashlib
import json

from whoosh.analysis import StandardAnalyzer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from ..articles import Article
from .analysis import StemmedText
from .types import FACETS  # noqa: F401  (the facet fields are engine-neutral)

TEXT_FIELDS = ("title", "body")


SPELL_ANALYZER = StandardAnalyzer(stoplist=None)  # the titles' words did-you-mean knows


def make_schema() -> Schema:
    """The one schema: ranked text fields, facet fields, stored fields for hits."""
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        content_hash=ID(stored=True, sortable=True),
        title=StemmedText(stored=True, field_boost=2.5),
        body=StemmedText(stored=True),
        spell=TEXT(analyzer=SPELL_ANALYZER, phrase=False),
        country=KEYWORD(stored=True, commas=True, scorable=False),
        official=KEYWORD(stored=True, commas=True, scorable=False),
        official_info=KEYWORD(commas=True, scorable=False),
        source=ID(stored=True),
        published=DATETIME(stored=True, sortable=True),
        url=STORED(),
        officials_json=STORED(),
        story=STORED(),
        story_key=COLUMN(NumericColumn("Q", default=0)),  # the story as a number, per doc
    )


def story_key(story: str) -> int:
    """A story id as a 63-bit number (never 0: 0 marks a doc indexed without one),
    so a snapshot reads every doc's story as one numpy column."""
    return int.from_bytes(hashlib.blake2b(story.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "big") >> 1 | 1


def to_document(article: Article) -> dict:
    story = article.story or article.id
    return {
        "id": article.id, "content_hash": article.index_hash,
        "title": article.title, "body": article.body,
        "spell": article.title,  # titles: vocabulary for did-you-mean at little cost
        "country": ",".join(article.countries),
        "official": ",".join(o.name.replace(",", " ") for o in article.officials),
        "official_info": ",".join(f"{o.name}|{o.role}|{o.country}".replace(",", " ")
                                  for o in article.officials),
        "source": article.source,
        "published": article.published.replace(tzinfo=None) if article.published else None,
        "url": article.url,
        "officials_json": json.dumps([o.to_json() for o in article.officials]),
        "story": story, "story_key": story_key(story),
    }
