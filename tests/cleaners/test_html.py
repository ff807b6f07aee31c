import os
import sys
from pathlib import Path

import lxml.html
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import INVALID_XML_CHARS, load_html
from trafilatura.utils import repair_faulty_html as trafilatura_repair

from cleaners.decoding import declared_charset, decode_bytes
from cleaners.html import (
    extract_html,
    extract_html_plain,
    invalid_xml_chars,
    load_page,
    page_title,
    repair_faulty_html,
)

PAGE = """<html><head><title>Ceasefire talks resume | Daily Planet</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article><h1>Ceasefire talks resume</h1>
<p>Delegations from both sides arrived in Geneva on Monday, officials said, for a new round.</p>
<p>The talks are expected to last until Friday, according to a statement from the mediators.</p>
</article>
<footer><p>Copyright 2024 Daily Planet. All rights reserved.</p></footer></body></html>"""


def test_main_text_and_title_without_menus_and_footer():
    title, text = extract_html(PAGE)
    assert title and "Ceasefire talks resume" in title
    assert "Delegations from both sides arrived in Geneva on Monday" in text
    assert "expected to last until Friday" in text
    assert "Home" not in text.split("\n")
    assert "All rights reserved" not in text


def test_page_without_main_text():
    assert extract_html("<html><body></body></html>").text == ""


# The fast path (one parse, the title from the tree, no other metadata) against trafilatura's
# own bare_extraction with metadata: text and title must be the same on real pages.
DATES = set_date_params(extensive=False)
DEV = Path(__file__).resolve().parents[3] / "shared/datasets/trafilatura-eval/dev.parquet"


@pytest.fixture(scope="module")
def dev_pages() -> list[tuple[str, str]]:
    """Every 4th page of trafilatura-eval's development set, decoded as the .html reader
    does (162 of 648: the whole set takes a minute twice over)."""
    if not DEV.exists() and not os.environ.get("CI"):
        pytest.skip("shared/datasets/trafilatura-eval not beside the repo")
    rows = pq.read_table(DEV, columns=["id", "html"]).to_pylist()[::4]
    decoded = (decode_bytes(r["html"], declared_charset(r["html"])) for r in rows)
    return [(r["id"], d.text or "") for r, d in zip(rows, decoded, strict=True)]


def test_fast_extraction_equals_trafilatura_with_metadata(dev_pages):
    differ = [
        page_id for page_id, html in dev_pages if extract_html(html) != extract_html_plain(html)
    ]
    assert not differ
    assert sum(bool(extract_html(html).title) for _, html in dev_pages[:40]) > 30


@pytest.mark.parametrize(
    "head, body",
    [
        ('<meta property="og:title" content="OG &amp; title">', "<h1>Heading</h1>"),
        ('<meta name="title" content="  Meta   title ">', "<h1>One</h1><h1>Two</h1>"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": "JSON-LD headline"}</script>',
            "<h1>Heading</h1>",
        ),
        ('<script type="application/ld+json">{not json</script>', "<h1>Only heading</h1>"),
        (  # the <meta> title wins over JSON-LD's (which is then not read)
            '<meta property="og:title" content="OG title"><script type="application/ld+json">'
            '{"@context": "https://schema.org", "@type": "NewsArticle", '
            '"headline": "JSON-LD headline"}</script>',
            "<h1>Heading</h1>",
        ),
        (
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "NewsArticle", "headline": "JSON-LD headline"}</script>',
            "<h1>Heading</h1>",
        ),
        ("<title>Page title - Site</title>", "<h1>One</h1><h1>Two</h1>"),
        ("<title>site.com</title>", "<h2>Second level</h2>"),
        ("", ""),
        ("<title>" + "long " * 3000 + "</title>", ""),
    ],
)
def test_title_as_trafilatura_metadata_finds_it(head, body):
    paragraphs = "".join(
        f"<p>Paragraph {i} of the article, a sentence long enough to count as text here.</p>"
        for i in range(6)
    )
    page = f"<html><head>{head}</head><body>{body}<article>{paragraphs}</article></body></html>"
    tree = load_html(page)
    assert page_title(tree) == extract_metadata(load_html(page), date_config=DATES).title
    assert extract_html(page) == extract_html_plain(page)


def test_not_html_as_trafilatura():
    for page in ("", "just some text, no markup at all", "<p>x</p>"):
        assert extract_html(page) == extract_html_plain(page)


def serialized(tree) -> bytes | None:
    return None if tree is None else lxml.html.tostring(tree)


@pytest.mark.parametrize(
    "page",
    [
        "",
        "just some text, no markup at all",
        "<p>x</p>",
        "<div><p>x</p><p>y</p></div>",
        "<div><p>one block</p></div>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared</p></body></html>',
        "<html><body><form><input value='v'><select><option>o</select></form></body></html>",
        "<html><body>\x00\x0b bad chars <p>kept</p></body></html>",
    ],
)
def test_page_tree_as_trafilatura_loads_it(page):
    """load_page's tree is load_html's, element for element (only the Python class of form
    elements differs)."""
    assert serialized(load_page(page)) == serialized(load_html(page))


def test_page_tree_as_trafilatura_loads_it_on_real_pages(dev_pages):
    assert all(serialized(load_page(html)) == serialized(load_html(html)) for _, html in dev_pages)


# Pieces of the first lines of pages: doctypes (some closed by "/>", which libxml2 chokes on),
# self-closing <html/> tags, characters XML forbids, line breaks
PAGE_PIECES = st.sampled_from(
    [
        "<!DOCTYPE html>",
        "<!doctype html PUBLIC '-//W3C//DTD XHTML 1.0//EN' 'http://www.w3.org/TR/x.dtd'/>",
        "< ! DOCTYPE html/>",
        "<html lang='en'/>",
        "<HTML/>",
        "<html>",
        "<p>text</p>",
        " ",
        "\n",
        "\r\n",
        "/>",
        "\x00",
        "\x0b",
        "\x1f",
        "\ufffe",
        "é",
    ]
)


@settings(max_examples=1000)
@given(st.lists(PAGE_PIECES, max_size=12).map("".join))
def test_repair_as_trafilatura_repairs(page):
    beginning = page[:50].lower()
    assert repair_faulty_html(page, beginning) == trafilatura_repair(page, beginning)


def test_repair_as_trafilatura_repairs_real_pages(dev_pages):
    assert all(
        repair_faulty_html(html, html[:50].lower()) == trafilatura_repair(html, html[:50].lower())
        for _, html in dev_pages
    )


def test_the_characters_xml_forbids_are_all_there_are():
    every = (chr(c) for c in range(sys.maxunicode + 1))
    assert tuple(c for c in every if INVALID_XML_CHARS.match(c)) == invalid_xml_chars()
