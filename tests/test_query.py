"""Our query language: parsed once into a tree, translated by each engine.

The examples read like the README's syntax table; the property at the end
checks the Whoosh translation against Whoosh's own query parser, which the
engine used before the tree existed: the same articles match.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index, qparser

from conftest import SAMPLE

from indexer import DataDir, pipeline
from indexer.engine import current_generation
from indexer.engine.translate import to_whoosh
from indexer.query import All, Any, Exclude, Phrase, Word, parse, to_text, words


def make_parser(schema) -> qparser.QueryParser:
    """Whoosh's own parser configured for our syntax: the oracle for ``to_whoosh``."""
    parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.add_plugin(qparser.PlusMinusPlugin())
    parser.remove_plugin_class(qparser.FieldsPlugin)
    parser.add_plugin(qparser.FieldsPlugin(r"(?P<text>title|body|source):(?=\S)"))
    return parser


@pytest.mark.parametrize("text, tree", [
    ("interest rates", All((Word("interest"), Word("rates")))),
    ('"ground invasion"', Phrase(("ground", "invasion"))),
    ("oil -japan", All((Word("oil"), Exclude(Word("japan"))))),
    ("oil NOT japan", All((Word("oil"), Exclude(Word("japan"))))),
    ("+rates", Word("rates")),
    ("oil OR gas prices", All((Any((Word("oil"), Word("gas"))), Word("prices")))),
    ("title:yen", Word("yen", "title")),
    ('title:"bank of japan"', Phrase(("bank", "of", "japan"), "title")),
    ("Source:Reuters", Word("Reuters", "source")),
    ("title:(oil OR gas)", Any((Word("oil", "title"), Word("gas", "title")))),
    ("(oil OR gas) -(saudi kuwait)",
     All((Any((Word("oil"), Word("gas"))), Exclude(All((Word("saudi"), Word("kuwait"))))))),
    ("oil AND gas", All((Word("oil"), Word("gas")))),
    ("e-mail", Word("e-mail")),
])
def test_the_syntax(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text, tree", [
    ('"unclosed quote', All((Word("unclosed"), Word("quote")))),
    ("(unclosed bracket", All((Word("unclosed"), Word("bracket")))),
    ("stray ) bracket", All((Word("stray"), Word("bracket")))),
    ("oil OR", Word("oil")),
    ("--oil", Word("oil")),
    ("NOT NOT oil", Word("oil")),
])
def test_malformed_input_is_read_as_words(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text", ["", "   ", "*", "-japan", "NOT japan", "AND OR NOT", '""', "()"])
def test_nothing_to_search_for(text):
    assert parse(text) is None


def test_no_engine_syntax_leaks_through():
    # wildcards, fuzziness, boosts, ranges and unknown fields are plain characters of words
    tree = parse("foo* bar~2^3 [a TO b] official_info:x")
    assert all(isinstance(node, Word) and node.field is None for node in tree.children)
    assert words(tree) == ["foo*", "bar~2^3", "[a", "TO", "b]", "official_info:x"]


def test_hostile_nesting_does_not_recurse_without_bound():
    assert parse("(" * 5000 + "oil") is not None
    assert parse("-" * 5000 + "oil") == Word("oil")
    assert parse("NOT " * 2000 + "oil") == Word("oil")


def test_words_leave_out_exclusions_and_to_text_round_trips():
    tree = parse('title:"bank of japan" (oil OR gas) -saudi')
    assert words(tree) == ["bank", "of", "japan", "oil", "gas"]
    assert words(tree, "title") == ["bank", "of", "japan", "oil", "gas"]
    assert words(parse("title:yen rates"), "body") == ["rates"]
    assert parse(to_text(tree)) == tree


# -- the Whoosh translation matches what Whoosh's own parser matched ---------------------

VOCAB = ["bank", "japan", "minister", "prime", "said", "rates", "oil", "ceasefire", "israel",
         "lebanon", "trade", "yen", "president", "talks", "interest", "the", "of"]
word = st.sampled_from(VOCAB)
item = st.one_of(
    word,
    st.builds(lambda w: "-" + w, word),
    st.builds(lambda a, b: f'"{a} {b}"', word, word),
    st.builds(lambda a, b: f"{a} OR {b}", word, word),
    st.builds(lambda w: "title:" + w, word),
    st.builds(lambda a, b: f'-"{a} {b}"', word, word),
)
queries = st.lists(item, min_size=1, max_size=5).map(" ".join)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    data = DataDir(tmp_path_factory.mktemp("q") / "data")
    pipeline.import_files(data, "jsonl", [SAMPLE])
    pipeline.index(data)
    ix = index.open_dir(str(current_generation(data.index_root)))
    with ix.searcher() as searcher:
        yield searcher, make_parser(ix.schema)


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=queries)
def test_translation_matches_what_whoosh_parsed(sample_index, text):
    searcher, whoosh_parser = sample_index
    tree = parse(text)
    ours = set(searcher.docs_for_query(to_whoosh(tree, searcher.schema))) if tree else set()
    theirs = whoosh_parser.parse(text)
    expected = set(searcher.docs_for_query(theirs)) if words(tree) else set()
    assert ours == expected, (text, to_text(tree), theirs)
