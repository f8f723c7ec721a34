"""Reuters-21578 SGML (reut2-NNN.sgm, latin-1) -> Articles.

Each ``<REUTERS NEWID=...>`` story gives the id ``reuters-NEWID``; the body is
the dateline followed by the story text, as the wire printed it
("TOKYO, March 3 - ..."), with the trailing "Reuter" sign-off removed.
PLACES, PEOPLE and TOPICS labels are kept as ``source_tags`` for evaluation.

Every ``<REUTERS`` opening gives one Article or one Skipped: a story without
a NEWID (no id to store it under), one cut off before its ``</REUTERS>``
(a truncated file), or one the parser fails on is reported and the rest go
on.  Stories are found in one linear pass, so no input makes it quadratic.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup

from ..articles import Article, parse_date
from ..errors import BadInput
from . import Skipped, describe

SOURCE = "Reuters"
_TAG = re.compile(r"<REUTERS\b|</REUTERS>")
_NEWID = re.compile(r'NEWID="(\d+)"')
_SIGNOFF = re.compile(r"\s*\bReuter\s*[\x03]?\s*$")
_DATE = re.compile(r"(\d{1,2}-[A-Z]{3}-\d{4})\s+(\d{1,2}:\d{2}:\d{2})?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TAG_FIELDS = ("places", "people", "topics", "orgs", "exchanges")


def _clean(text: str) -> str:
    """Drop control characters and the sign-off; re-flow the wire's fixed-width lines."""
    text = _SIGNOFF.sub("", _CONTROL.sub("", text)).strip()
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s{2,}|\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def parse_reuters_date(text: str):
    """'26-FEB-1987 15:01:01.79' -> UTC datetime; keeps the day when the time is garbled."""
    match = _DATE.search(text.upper())
    if not match:
        return None
    day, clock = match.groups()
    try:
        return parse_date(f"{day} {clock}" if clock else f"{day} 00:00:00")
    except BadInput:
        return parse_date(f"{day} 00:00:00")


def parse_story(sgml: str) -> Article | None:
    """One ``<REUTERS>`` element -> Article, or None if it has neither title nor body."""
    soup = BeautifulSoup(sgml, "html.parser")
    story = soup.find("reuters")
    text = story.find("text")
    title_el = text.find("title") if text else None
    body_el = text.find("body") if text else None
    dateline_el = text.find("dateline") if text else None
    title = _clean(title_el.get_text()) if title_el else ""
    if body_el:
        body = _clean(body_el.get_text())
    elif text and text.get("type") == "UNPROC":
        body = _clean(text.get_text())
    else:
        body = ""
    if not (title or body):
        return None
    dateline = " ".join(dateline_el.get_text().split()) if dateline_el else ""
    if dateline and body:
        body = f"{dateline} {body}"
    date_el = story.find("date")
    tags = {}
    for name in TAG_FIELDS:
        el = story.find(name)
        values = [d.get_text().strip() for d in el.find_all("d")] if el else []
        if values:
            tags[name] = values
    return Article(
        id=f"reuters-{story['newid']}", source=SOURCE, title=" ".join(title.split()), body=body,
        published=parse_reuters_date(date_el.get_text()) if date_el else None,
        source_tags=tags,
    )


def stories(raw: str) -> Iterator[tuple[str, bool]]:
    """``(sgml, complete)`` for each ``<REUTERS`` opening, in order.

    A story is complete when its ``</REUTERS>`` comes before the next opening
    and the end of the file; an incomplete one runs to whichever comes first.
    """
    start = None
    for tag in _TAG.finditer(raw):
        if tag.group() == "</REUTERS>":
            if start is not None:
                yield raw[start:tag.end()], True
                start = None
        else:
            if start is not None:
                yield raw[start:tag.start()], False
            start = tag.start()
    if start is not None:
        yield raw[start:], False


def read(path: Path, **_options) -> Iterator[Article | Skipped]:
    raw = path.read_bytes().decode("latin-1")
    found = False
    for number, (sgml, complete) in enumerate(stories(raw), 1):
        found = True
        newid = _NEWID.search(sgml.split(">", 1)[0])  # in the opening tag
        where = f"{path} NEWID={newid.group(1)}" if newid else f"{path} story {number}"
        if not complete:
            yield Skipped(where, "story is cut off: no closing </REUTERS> (truncated file?)")
        elif not newid:
            yield Skipped(where, 'story has no NEWID="..." (no id to store it under)')
        else:
            try:
                article = parse_story(sgml)
            except Exception as exc:  # noqa: BLE001 - one bad story must not stop the file
                yield Skipped(where, f"unreadable story: {describe(exc)}")
                continue
            yield article if article else Skipped(where, "story with neither title nor body")
    if not found:
        raise BadInput("no <REUTERS> stories found (is this a Reuters-21578 .sgm file?)")
