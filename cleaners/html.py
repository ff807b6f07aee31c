"""Main text and title of an HTML page, by trafilatura."""

from __future__ import annotations

from typing import NamedTuple

import trafilatura


class Extracted(NamedTuple):
    title: str | None
    text: str  # "" when trafilatura finds no main text


def extract_html(html: str) -> Extracted:
    """Article text without menus, comments and footers; one paragraph per line."""
    result = trafilatura.bare_extraction(
        html, include_comments=False, with_metadata=True, include_tables=True
    )
    if result is None:
        return Extracted(None, "")
    return Extracted(result.title or None, result.text or "")
