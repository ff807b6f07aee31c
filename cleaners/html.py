"""Main text and title of an HTML page, by trafilatura."""

from __future__ import annotations

from typing import Any, NamedTuple

import trafilatura
from trafilatura.settings import set_date_params


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


def extract_html(html: str) -> Extracted:
    """Article text without menus, comments and footers; one paragraph per line."""
    result = trafilatura.bare_extraction(html, **extraction_options())
    if result is None:
        return Extracted(None, "")
    return Extracted(result.title or None, result.text or "")
