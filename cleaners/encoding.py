"""Mojibake, HTML entities, control characters and Unicode normalisation, by ftfy.

ftfy works line by line; so do we, which lets clean lines skip ftfy entirely (the fast path)
and lets each change be recorded against the line fragment it touched.
"""

from __future__ import annotations

import difflib
import re

import ftfy

from cleaners.config import EncodingConfig
from cleaners.document import Change, Cleaned, distinct

# A line ftfy could change: anything outside printable ASCII, or an HTML entity. Plain
# printable ASCII without '&' is already NFC, has no mojibake and nothing to unescape.
_NEEDS_FTFY = re.compile(r"[^\t\n\x20-\x7e]|&")
_MAX_PASSES = 3  # ftfy is nearly idempotent; a few passes reach its fixed point
_MAX_FRAGMENT = 200
_MAX_DIFF = 2000  # longer changed spans are recorded whole rather than diffed
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")  # ftfy's segments: lines with their "\n"


class EncodingFixer:
    """Repairs encoding damage with ftfy, one line at a time."""

    name = "encoding"

    def __init__(self, config: EncodingConfig | None = None) -> None:
        config = config or EncodingConfig()
        self._config = ftfy.TextFixerConfig(
            uncurl_quotes=config.uncurl_quotes,
            fix_character_width=config.fix_character_width,
            fix_latin_ligatures=config.fix_latin_ligatures,
            normalization=config.normalization,
            explain=False,
        )
        # ftfy's own rule: text that contains '<' is markup, whose entities stay as written
        self._markup_config = self._config._replace(unescape_html=False)

    def __call__(self, text: str) -> Cleaned:
        if not _NEEDS_FTFY.search(text):
            return Cleaned(text, [])
        changes: list[Change] = []
        out: list[str] = []
        for line in _LINES.findall(text):
            fixed = self.fix_line(line) if _NEEDS_FTFY.search(line) else line
            if fixed != line:
                changes.extend(_diff(line, fixed, self.name))
            out.append(fixed)
        return Cleaned("".join(out), distinct(changes))

    def fix_line(self, line: str) -> str:
        """ftfy on one line, repeated until it changes nothing more."""
        for _ in range(_MAX_PASSES):
            fixed = ftfy.fix_text(line, self._markup_config if "<" in line else self._config)
            if "\n" in fixed.rstrip("\n"):
                # ftfy turned a U+2028 or a lone \r into a line break: fix each new line alone,
                # as a second call on the whole text would
                return "".join(self.fix_line(piece) for piece in _LINES.findall(fixed))
            if fixed == line:
                break
            line = fixed
        return line


def _diff(old: str, new: str, rule: str) -> list[Change]:
    """The fragments of `old` that became something else in `new`."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old, new = old[start : len(old) - end], new[start : len(new) - end]
    if len(old) + len(new) > _MAX_DIFF:
        return [Change(rule, old[:_MAX_FRAGMENT], new[:_MAX_FRAGMENT])]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        Change(rule, old[i1:i2][:_MAX_FRAGMENT], new[j1:j2][:_MAX_FRAGMENT])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
