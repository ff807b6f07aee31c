"""The record every stage passes along: one input document and what was done to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Change(NamedTuple):
    """One thing a cleaner removed or replaced, so a user can see why text went."""

    rule: str
    removed: str
    replacement: str | None = None  # None: removed outright; else what took its place


class Cleaned(NamedTuple):
    """What every text cleaner returns: the new text and the changes that made it."""

    text: str
    changes: list[Change]


@dataclass(slots=True)
class Document:
    doc_id: str
    source: str  # path, plus ":<line>" for JSONL
    text: str
    title: str | None = None
    site: str | None = None
    content_type: str = "text"  # "text" or "html" (html is extracted before cleaning)
    metadata: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    reason: str | None = None  # set when the document is rejected (empty, malformed, ...)


def distinct(changes: list[Change]) -> list[Change]:
    """Each replacement once per document, in order of first use (a page of mojibake would
    otherwise list the same fix hundreds of times)."""
    return list(dict.fromkeys(changes))
