"""The per-document cleaning chain, in the order the stages must run."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter

from cleaners.boilerplate import BoilerplateStripper
from cleaners.config import Config
from cleaners.document import Change, Document
from cleaners.encoding import EncodingFixer
from cleaners.escapes import EscapeFixer
from cleaners.html import extract_html

EMPTY, NO_CONTENT, ERROR = "empty", "no_content", "cleaning_error"


class DocumentCleaner:
    """HTML extraction (HTML only), then encoding -> escapes -> boilerplate lines.

    Documents already rejected by a reader pass through untouched; a document with no text
    left is rejected as "empty" (its removed lines stay in `changes`, so nothing is lost).
    `seconds` adds up the time each step took (html, encoding, escapes, boilerplate), for
    the run's report of where the time goes. Without a config, the shipped defaults
    (`Config.load()`, defaults.toml: the phrase, pattern and layout rules), as a run has.
    """

    def __init__(self, config: Config | None = None) -> None:
        config = config or Config.load()
        self.encoding = EncodingFixer(config.encoding) if config.encoding.enabled else None
        self.escapes = EscapeFixer(config.escapes) if config.escapes.enabled else None
        self.boilerplate = (
            BoilerplateStripper(config.boilerplate) if config.boilerplate.enabled else None
        )
        self.seconds: Counter[str] = Counter()

    def run_safely(self, doc: Document) -> Document:
        """run(), except that a document a cleaner fails on is rejected with the error named
        (and its text as it came) instead of stopping the whole run."""
        try:
            return self.run(doc)
        except Exception as exc:
            error = Change("cleaning_error", f"{type(exc).__name__}: {exc}"[:1000])
            return dataclasses.replace(doc, reason=ERROR, changes=[*doc.changes, error])

    def run(self, doc: Document) -> Document:
        if doc.reason is not None:
            return doc
        text, title = doc.text, doc.title
        changes: list[Change] = list(doc.changes)
        extracted_html = doc.content_type == "html"
        clock = time.perf_counter()
        if extracted_html:
            extracted = extract_html(text)
            clock = self._took("html", clock)
            if not extracted.text.strip():
                return dataclasses.replace(doc, reason=NO_CONTENT)  # keep the page as it came
            text, title = extracted.text, title or extracted.title
        for fixer in (self.encoding, self.escapes):
            if fixer is not None:
                text, fixed = fixer(text)
                changes.extend(fixed)
                if title:
                    title = fixer(title).text
                clock = self._took(fixer.name, clock)
        if self.boilerplate is not None:
            # trafilatura already judged the page's layout; our line rules still apply
            text, removed = self.boilerplate(text, title=title, layout=not extracted_html)
            changes.extend(removed)
            self._took("boilerplate", clock)
        text = text.strip("\n")
        return dataclasses.replace(
            doc,
            text=text,
            title=title,
            content_type="text",
            changes=changes,
            reason=None if text.strip() else EMPTY,
        )

    def _took(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[step] += now - since
        return now
