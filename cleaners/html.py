"""Main text and title of an HTML page, by trafilatura."""

from __future__ import annotations

from contextlib import suppress
from functools import cache
from typing import Any, NamedTuple

import trafilatura
from lxml.etree import ElementDefaultClassLookup
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
from trafilatura.settings import Document as TrafilaturaDocument
from trafilatura.settings import set_date_params
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    INVALID_XML_CHARS,
    decode_file,
    is_dubious_html,
)


class Extracted(NamedTuple):
    title: str | None
    text: str  # "" when trafilatura finds no main text


def extraction_options() -> dict[str, Any]:
    """trafilatura.bare_extraction's options here (bench/pipeline.py times trafilatura alone
    with the same). Metadata for the title; the page's date is not kept, so htmldate does
    not search the text for one (its extensive search loads dateparser's locales: seconds
    per process, and most of the metadata time)."""
    return {
        "include_comments": False,
        "include_tables": True,
        "with_metadata": True,
        "date_extraction_params": set_date_params(extensive=False),
    }


# The same extraction without trafilatura's metadata: of it we keep only the title, which
# page_title() finds the same way for a fraction of the cost (the author, date, categories,
# tags and licence searches are some 30% of bare_extraction's time). Without links in the
# output, the metadata (its URL) does not change the text.
def text_options() -> dict[str, Any]:
    """extraction_options() without the metadata: what extract_html() gives trafilatura
    (bench/pipeline.py also times trafilatura alone with these, the strictest baseline)."""
    return {**extraction_options(), "with_metadata": False}


_TEXT_OPTIONS = text_options()


def extract_html(html: str) -> Extracted:
    """Article text without menus, comments and footers; one paragraph per line.

    What extract_html_plain() returns, for less: the page is parsed once, its title taken
    from the tree as trafilatura's metadata takes it, and the text extracted from it (from
    a copy: trafilatura prunes the tree it works on) without the rest of the metadata."""
    tree = load_page(html)
    if tree is None:
        return Extracted(None, "")  # bare_extraction: "empty HTML tree", no result
    try:
        title = page_title(tree)
    except (TypeError, ValueError):
        return Extracted(None, "")  # bare_extraction discards a page its metadata fails on
    result = trafilatura.bare_extraction(tree, **_TEXT_OPTIONS)
    if result is None:
        return Extracted(None, "")
    return Extracted(title or None, result.text or "")


# trafilatura's parser, whose elements are all plain HtmlElement: lxml.html's own parser asks a
# Python function which class each element is (a form, an input...) whenever trafilatura touches
# one, some 5% of the extraction's time; trafilatura uses none of those classes' extras
_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


@cache
def invalid_xml_chars() -> tuple[str, ...]:
    """The characters trafilatura's repair_faulty_html deletes (XML forbids them), read off
    its regex once, on the first page (some 20 ms, not paid by a process without pages)."""
    return tuple(chr(c) for c in range(0x10000) if INVALID_XML_CHARS.match(chr(c)))


def repair_faulty_html(html: str, beginning: str) -> str:
    """What trafilatura.utils.repair_faulty_html returns (tests compare the two), for a
    third of its time: it searches the whole page with a regex for characters XML forbids,
    which one `in` test each finds faster (they are rare), and copies the whole page to
    mend a doctype line that seldom needs it."""
    if any(char in html for char in invalid_xml_chars()):
        html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:  # a doctype closed by "/>" on the first line goes
        end = html.find("\n")
        first = html if end < 0 else html[:end]
        repaired = DOCTYPE_TAG.sub("", first, count=1)
        if end < 0:
            html = repaired + "\n"  # as trafilatura's partition and join give it
        elif repaired != first:
            html = repaired + html[end:]
    for line in html[:4096].splitlines()[:4]:  # a self-closing <html/> in the first lines
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


def load_page(html: str) -> HtmlElement | None:
    """The tree trafilatura.utils.load_html makes of `html` (the same steps, tests compare the
    two), from _PARSER."""
    html = decode_file(html)
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree = None
    with suppress(Exception):  # load_html logs lxml's failures and tries bytes
        tree = fromstring(html, parser=_PARSER)
    if tree is None or len(tree) < 1:
        with suppress(Exception):
            tree = fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    if tree is not None and dubious and len(tree) < 2:
        return None  # not HTML at all
    return tree


def extract_html_plain(html: str) -> Extracted:
    """The text and title as trafilatura's bare_extraction gives them with its metadata:
    what extract_html() must return (tests compare the two). bench/pipeline.py times the
    same call as "trafilatura alone"."""
    result = trafilatura.bare_extraction(html, **extraction_options())
    if result is None:
        return Extracted(None, "")
    return Extracted(result.title or None, result.text or "")


def page_title(tree: HtmlElement) -> str | None:
    """A page's title as trafilatura.metadata.extract_metadata finds it: OpenGraph and other
    <meta> tags, then JSON-LD, then the page (<h1>, title classes, <title>, <h2>), cleaned and
    trimmed as its other fields are. Reads the tree, never changes it."""
    metadata = examine_meta(tree)
    # JSON-LD only ever fills a title the <meta> tags left empty (and costs most of the time)
    if not metadata.title:
        with suppress(Exception):  # as extract_metadata: bugs in trafilatura's json_metadata.py
            metadata = extract_meta_json(tree, metadata)
    found = TrafilaturaDocument()
    found.title = metadata.title or extract_title(tree)
    found.clean_and_trim()
    return found.title
