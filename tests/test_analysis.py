"""The index-time fast path writes exactly what Whoosh's own analyzer would."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import TEXT

from indexer.engine.analysis import StemmedText
from indexer.engine.schema import make_schema

# Text that exercises tokens, case, stop words, dotted forms, digits, non-ASCII.
PIECES = ["Oil", "prices", "the", "a", "of", "U.S.", "e.g.", "3.5", "x", "I", "Ölpreis",
          "İstanbul", "naïve", "Saudi", "running", "ran", "runs", "—", "  ", "\n", "...",
          "*", "co-operate", "don't", "1987", "Ünited", "ΑΘΗΝΑ", "北京", "_", "is", "it"]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map(" ".join)


def whoosh_index(value: str, field_boost: float = 1.0) -> list:
    return sorted(TEXT(analyzer=StemmingAnalyzer(), field_boost=field_boost).index(value))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_same_postings_as_whoosh(value):
    assert sorted(StemmedText().index(value)) == whoosh_index(value)


@given(texts)
def test_title_boost_applies_to_the_weights(value):
    assert sorted(StemmedText(field_boost=2.5).index(value)) == whoosh_index(value, 2.5)


def test_stop_words_renumber_positions_as_whoosh_does():
    field = StemmedText()
    value = "The oil of the Gulf and the prices"
    assert sorted(field.index(value)) == whoosh_index(value)
    # "oil" keeps its own position (1), the next kept word follows it (2)
    positions = {w: field.format.decode_positions(v) for w, _, _, v in field.index(value)}
    assert positions == {b"oil": [1], b"gulf": [2], b"price": [3]}


def test_the_schema_uses_it_for_both_text_fields():
    schema = make_schema()
    assert isinstance(schema["title"], StemmedText) and isinstance(schema["body"], StemmedText)
    assert schema["title"].format.field_boost == 2.5
