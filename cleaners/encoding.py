"""Mojibake, HTML entities, control characters and Unicode normalisation, by ftfy.

ftfy works line by line; so do we, which lets clean lines skip ftfy entirely (the fast path)
and lets each change be recorded against the line fragment it touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import cydifflib
import ftfy
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad
from ftfy.chardata import (
    CONTROL_CHARS,
    DOUBLE_QUOTE_RE,
    LIGATURES,
    SINGLE_QUOTE_RE,
    WIDTH_MAP,
)

from cleaners.config import EncodingConfig
from cleaners.document import Change, Cleaned, distinct

# Plain printable ASCII without '&' is NFC, has no mojibake and nothing to unescape.
_NOT_PLAIN_ASCII = re.compile(r"[^\t\n\x20-\x7e]|&")
# Characters one of ftfy's fixers acts on, read off ftfy's own tables and fixers: entities,
# C1 controls, line breaks, surrogates, terminal escapes, control characters, and (when those
# fixers are on) ligatures, full-width forms, curly quotes. Mojibake is ftfy's is_bad();
# normalisation is unicodedata.is_normalized().
_ALWAYS = "&\x1b\r\u2028\u2029\x80-\x9f\ud800-\udfff" + "".join(
    re.escape(chr(c)) for c in sorted(CONTROL_CHARS)
)


# Every alternative of ftfy's BADNESS_RE (the mojibake detector behind is_bad) needs at least
# one character of these categories or literals; a line with none of them is not bad, and
# skips the detector's slow regex. Curly quotes, dashes and Greek/Cyrillic letters are not
# needed here, which is what makes this worth it. tests/cleaners/test_encoding.py checks it.
_MOJIBAKE_ANCHORS = re.compile(
    "["
    + "".join(
        MOJIBAKE_CATEGORIES[name]
        for name in ["c1", "bad", "upper_accented", "lower_accented", "currency", "box", "law"]
    )
    + MOJIBAKE_CATEGORIES["numeric"]
    + "ŒœÂÃÎÐ×ØÙà√≈ÄâóвВГРСβΒΓΞΟā]"
)
# Every alternative of BADNESS_RE also needs two non-ASCII characters in a row (none of its
# character classes holds an ASCII one), except a C1 control, Œ or œ before anything, and
# Ã or Â before a space, which match alone. Accented letters between ASCII ones ("café",
# "Müller") pass the anchors but not this, which spares is_bad() most lines of European
# text. tests/cleaners/test_encoding.py checks it on the parsed regex.
_MOJIBAKE_NEIGHBOURS = re.compile(r"[^\x00-\x7f]{2}|[\x80-\x9fŒœÃÂ]")


def _fixer_triggers(config: ftfy.TextFixerConfig) -> re.Pattern[str]:
    chars = _ALWAYS
    if config.fix_latin_ligatures:
        chars += "".join(re.escape(chr(c)) for c in sorted(LIGATURES))
    if config.fix_character_width:
        chars += "".join(re.escape(chr(c)) for c in sorted(WIDTH_MAP))
    if config.uncurl_quotes:
        chars += SINGLE_QUOTE_RE.pattern.strip("[]") + DOUBLE_QUOTE_RE.pattern.strip("[]")
    return re.compile(f"[{chars}]")


_MAX_PASSES = 3  # ftfy is nearly idempotent; a few passes reach its fixed point
_MAX_FRAGMENT = 200
_MAX_DIFF = 2000  # longer changed spans are recorded whole rather than diffed
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")  # ftfy's segments: lines with their "\n"
_MEMO_LINES = 10_000  # fixed lines remembered before the memo starts again


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
        self._triggers = _fixer_triggers(self._config)
        # a trigger or a mojibake anchor, in one scan of the text: most pages have neither
        self._triggers_or_anchors = re.compile(
            f"[{self._triggers.pattern[1:-1]}{_MOJIBAKE_ANCHORS.pattern[1:-1]}]"
        )
        # a line ftfy fixed, by its text: a site's damaged chrome comes back page after page,
        # and ftfy costs some 300 microseconds a line (the output is the same without it)
        self._fixed: dict[str, tuple[str, list[Change]]] = {}

    def __call__(self, text: str) -> Cleaned:
        if not _NOT_PLAIN_ASCII.search(text) or not self.any_line_may_need_ftfy(text):
            return Cleaned(text, [])
        changes: list[Change] = []
        out: list[str] = []
        for line in _LINES.findall(text):
            if not self.needs_ftfy(line):
                out.append(line)
                continue
            known = self._fixed.get(line)
            if known is None:
                fixed = self.fix_line(line)
                known = (fixed, _diff(line, fixed, self.name) if fixed != line else [])
                if len(self._fixed) >= _MEMO_LINES:
                    self._fixed.clear()
                self._fixed[line] = known
            out.append(known[0])
            changes.extend(known[1])
        return Cleaned("".join(out), distinct(changes))

    def needs_ftfy(self, line: str) -> bool:
        """False when ftfy would return the line unchanged: its first pass would find nothing
        to unescape, no mojibake (is_bad is ftfy's own gate), nothing for any other fixer, and
        the line already normalised. The fast path: most lines of real text skip ftfy."""
        if not _NOT_PLAIN_ASCII.search(line):
            return False
        if self._triggers.search(line):
            return True
        if _may_be_mojibake(line) and is_bad(line):
            return True
        form = self._config.normalization
        return form is not None and not unicodedata.is_normalized(form, line)

    def any_line_may_need_ftfy(self, text: str) -> bool:
        """False when needs_ftfy is False for every line, told from the whole text at once
        (most pages): no trigger, no mojibake anchor or no two non-ASCII characters in a row
        anywhere (a bad line has both), and the text normalised (it is exactly when each of
        its lines is: a line break is a starter nothing composes with)."""
        if self._triggers_or_anchors.search(text) and (
            self._triggers.search(text) or _may_be_mojibake(text)
        ):
            return True
        form = self._config.normalization
        return form is not None and not unicodedata.is_normalized(form, text)

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


def _may_be_mojibake(text: str) -> bool:
    """False when ftfy's is_bad() is sure to be False (two cheap searches first)."""
    return bool(_MOJIBAKE_ANCHORS.search(text) and _MOJIBAKE_NEIGHBOURS.search(text))


def _common_length(a: str, b: str, most: int, part: Callable[[str, int], str]) -> int:
    """The largest k <= most with part(a, k) == part(b, k) (a common start or end), by
    halving: a few slice comparisons instead of a Python step per character."""
    low, high = 0, most
    while low < high:
        k = (low + high + 1) // 2
        if part(a, k) == part(b, k):
            low = k
        else:
            high = k - 1
    return low


def _diff(
    old: str, new: str, rule: str, sequence_matcher: type = cydifflib.SequenceMatcher
) -> list[Change]:
    """The fragments of `old` that became something else in `new`. cydifflib is difflib's
    algorithm compiled: the same fragments (tests/cleaners/test_encoding.py), where the
    standard library's pure Python was some 5% of cleaning time on generated news."""
    start = _common_length(old, new, min(len(old), len(new)), lambda s, k: s[:k])
    end = _common_length(old, new, min(len(old), len(new)) - start, lambda s, k: s[len(s) - k :])
    old, new = old[start : len(old) - end], new[start : len(new) - end]
    if len(old) + len(new) > _MAX_DIFF:
        return [Change(rule, old[:_MAX_FRAGMENT], new[:_MAX_FRAGMENT])]
    matcher = sequence_matcher(None, old, new, autojunk=False)
    return [
        Change(rule, old[i1:i2][:_MAX_FRAGMENT], new[j1:j2][:_MAX_FRAGMENT])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
