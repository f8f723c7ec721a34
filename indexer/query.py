"""newsdesk's query language, parsed once into a tree that every engine translates.

The syntax (the README's "Query syntax")::

    interest rates            words, all required (AND)
    "ground invasion"         a phrase
    -japan   NOT japan        an excluded word or phrase (or group)
    +rates                    required (the same as a plain word)
    oil OR gas                either; OR binds tighter than the implicit AND
    title:yen  title:"bank of japan"  source:Reuters   one field
    (oil OR gas) prices       grouping
    oil AND gas               AND is allowed, and is the default anyway

Nothing else is syntax: ``*``, ``?``, ``~``, ``^``, ``[a TO b]`` or an unknown
``field:`` are ordinary characters of a word, so no engine's own query language
leaks through.  Malformed input never fails: an unclosed quote or bracket is
closed at the end, a stray ``)`` is ignored.  :func:`parse` returns None when
there is nothing to search for (only operators, punctuation or exclusions).
A hyphen inside a word is part of it (``e-mail``, ``al-Assad``); only a
leading ``-`` excludes.

The tree holds the user's words as typed; analysis (case, stemming, stop
words) is each engine's business, since it must match how it indexed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

FIELDS = ("title", "body", "source")   # what ``field:`` may name; None = title and body
MAX_DEPTH = 32                         # nesting beyond this is read as plain words


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class All:
    """Every child must match (``Exclude`` children must not)."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Exclude:
    """Inside an ``All``: documents matching ``child`` are left out."""

    child: Node


Node = Word | Phrase | All | Any | Exclude

_TOKEN = re.compile(r'\s+|"|\(|\)|[^\s"()]+')
_FIELD = re.compile(rf"^({'|'.join(FIELDS)}):", re.I)


@lru_cache(maxsize=1024)
def parse(text: str) -> Node | None:
    """The tree of ``text``; None when it holds nothing to search for.

    Trees are immutable, so one parse is shared by every request (and every
    page link) built from the same text."""
    tokens = [t for t in _TOKEN.findall(text or "") if t.strip()]
    node, _ = _Parser(tokens).sequence(0, 0)
    return node if words(node) else None      # only exclusions: nothing to search for


def words(node: Node | None, field: str | None = None) -> list[str]:
    """The words a matching document may contain (excluded ones left out), in order."""
    if node is None or isinstance(node, Exclude):
        return []
    if isinstance(node, Word):
        return [node.text] if field is None or node.field in (None, field) else []
    if isinstance(node, Phrase):
        return list(node.words) if field is None or node.field in (None, field) else []
    return [w for child in node.children for w in words(child, field)]


def to_text(node: Node | None) -> str:
    """The tree back in the query syntax (canonical: explicit OR, quotes, brackets)."""
    if node is None:
        return ""
    if isinstance(node, Word):
        return f"{node.field}:{node.text}" if node.field else node.text
    if isinstance(node, Phrase):
        quoted = '"' + " ".join(node.words) + '"'
        return f"{node.field}:{quoted}" if node.field else quoted
    if isinstance(node, Exclude):
        return "-" + _grouped(node.child)
    joiner = " OR " if isinstance(node, Any) else " "
    return joiner.join(_grouped(c) if isinstance(c, (All, Any)) else to_text(c)
                       for c in node.children)


def _grouped(node: Node) -> str:
    return f"({to_text(node)})" if isinstance(node, (All, Any)) else to_text(node)


def _all(items: list[Node]) -> Node | None:
    if not items:
        return None
    if len(items) == 1 and not isinstance(items[0], Exclude):
        return items[0]
    return All(tuple(items))


class _Parser:
    """Recursive descent over tokens: sequence := clause*, clause := item (OR item)*."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens

    def sequence(self, i: int, depth: int, field: str | None = None) -> tuple[Node | None, int]:
        clauses: list[Node] = []
        while i < len(self.tokens):
            if self.tokens[i] == ")":
                if depth:
                    return _all(clauses), i + 1
                i += 1                     # a stray ")": ignored
                continue
            clause, i = self.clause(i, depth, field)
            if clause is not None:
                clauses.append(clause)
        return _all(clauses), i

    def clause(self, i: int, depth: int, field: str | None) -> tuple[Node | None, int]:
        options: list[Node] = []
        item, i = self.item(i, depth, field)
        if item is not None:
            options.append(item)
        while i + 1 < len(self.tokens) and self.tokens[i] == "OR" and self.tokens[i + 1] != ")":
            item, i = self.item(i + 1, depth, field)
            if item is not None:
                options.append(item)
        positive = [o for o in options if not isinstance(o, Exclude)]
        if len(options) > 1 and len(positive) < len(options):
            # "a OR -b" means little; read the excluded options as required exclusions
            return _all([*([Any(tuple(positive))] if len(positive) > 1 else positive),
                         *[o for o in options if isinstance(o, Exclude)]]), i
        return (Any(tuple(options)) if len(options) > 1 else (options[0] if options else None)), i

    def item(self, i: int, depth: int, field: str | None) -> tuple[Node | None, int]:
        negate = False
        while i < len(self.tokens):           # signs and NOTs, read in a loop (no recursion)
            token = self.tokens[i]
            if token == "NOT":
                negate, i = not negate, i + 1
            elif token[0] in "-+":
                signs = len(token) - len(token.lstrip("-+"))
                negate ^= token[:signs].count("-") % 2 == 1
                if signs < len(token):
                    self.tokens[i] = token[signs:]
                    break
                i += 1
            else:
                break
        if i >= len(self.tokens):
            return None, i
        node, i = self.atom(i, depth, field)
        return (_exclude(node) if negate else node), i

    def atom(self, i: int, depth: int, field: str | None) -> tuple[Node | None, int]:
        token = self.tokens[i]
        if token in ("AND", "OR", ")"):      # a dangling operator or bracket: nothing
            return None, i + (token != ")")
        if token == '"':
            return self.phrase(i + 1, field)
        if token == "(":
            if depth >= MAX_DEPTH:
                return None, i + 1
            return self.sequence(i + 1, depth + 1, field)
        match = _FIELD.match(token) if field is None else None
        if match:
            name, rest = match.group(1).lower(), token[match.end():]
            if rest:
                self.tokens[i] = rest
                return self.item(i, depth, name)
            if i + 1 < len(self.tokens) and self.tokens[i + 1] in ('"', "("):
                return self.atom(i + 1, depth, name)
        return (Word(token, field) if any(c.isalnum() for c in token) else None), i + 1

    def phrase(self, i: int, field: str | None) -> tuple[Node | None, int]:
        try:
            end = self.tokens.index('"', i)
        except ValueError:                     # unclosed: the rest is plain words
            return None, i
        found = tuple(t for t in self.tokens[i:end] if any(c.isalnum() for c in t))
        if not found:
            return None, end + 1
        node = Phrase(found, field) if len(found) > 1 else Word(found[0], field)
        return node, end + 1


def _exclude(node: Node | None) -> Node | None:
    if node is None:
        return None
    return node.child if isinstance(node, Exclude) else Exclude(node)
