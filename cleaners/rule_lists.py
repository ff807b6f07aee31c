"""A list of regex rules asked one question of a line: does any of them match?

One regex of them all scans a line once instead of once per pattern; a pattern that a line
can only match if it holds one of a few strings (needles.py) is searched alone, and only in
the lines that hold one (most lines have none). Case-insensitive rules
searched in lowercased text (the rules' normalised lines) are searched without IGNORECASE
where that gives the same answers: Python's re then skips to the characters a pattern can
start with, which under IGNORECASE it cannot (some 3x faster on the notice rules).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as sre  # the parser re itself uses (the project runs on 3.11)
from re import _parser
from re._casefix import _EXTRA_CASES

import hyperscan

from cleaners import ascii_prefilter
from cleaners.needles import REPEATS, needles

_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_NUMBERED = re.compile(r"\\[1-9]|\(\?P[<=]|\(\?\(")  # backreferences, named groups, conditionals

# Lowercase characters that IGNORECASE takes for another lowercase character ("ı" for "i",
# "ſ" for "s", Greek and Cyrillic variants). Outside ASCII: a line with one of them is
# searched case-insensitively, as written.
_CASE_PAIRS = {chr(c) for key, more in _EXTRA_CASES.items() for c in (key, *more)}
_PAIRED_OUTSIDE_ASCII = "".join(sorted(c for c in _CASE_PAIRS if not c.isascii()))
_HAS_PAIRED = re.compile(f"[{re.escape(_PAIRED_OUTSIDE_ASCII)}]")
_LARGEST_RANGE = 1 << 16  # a character range checked one character at a time


class AnyOf:
    """Whether any of `patterns` (each compiled with `flags`) matches, by one regex of them
    all. A pattern's leading global flags ("(?i)") become a group of its own; a pattern whose
    groups are referred to by number or name is searched on its own.

    A pattern with needles (needles.py: strings every match contains, such as the "©" of a
    copyright credit) is searched on its own, and only in a text that holds one of them:
    most lines have none, and `in` finds that out far faster than a search that tries the
    pattern at every position.

    `lowercase=True` promises every searched text is lowercased (str.lower): patterns under
    IGNORECASE that only ever match lowercase characters the same either way are then
    searched without it, except in a text with a character of _CASE_PAIRS outside ASCII."""

    def __init__(self, patterns: Sequence[str], flags: int = 0, lowercase: bool = False) -> None:
        together, alone = [], []
        folding = lowercase and bool(flags & re.IGNORECASE)
        # each needle beside its pattern, flat: one loop of `in` tests, fastest in Python
        self._by_needle: list[tuple[str, re.Pattern[str]]] = []
        self._by_needle_blind: list[tuple[str, re.Pattern[str]]] = []  # case-blind where it can be
        self._sieved: list[re.Pattern[str]] = []  # the patterns with needles
        for pattern in patterns:
            compiled = re.compile(pattern, flags)  # each must be valid on its own
            if _NUMBERED.search(pattern):
                alone.append(compiled)
                continue
            found = None if _tried_once(pattern, flags) else needles(pattern, flags, lowercase)
            if found is not None:
                blind = folding and case_blind_in_lowercase(pattern, flags)
                fast = re.compile(pattern, flags & ~re.IGNORECASE) if blind else compiled
                self._sieved.append(compiled)
                self._by_needle += [(needle, compiled) for needle in found]
                self._by_needle_blind += [(needle, fast) for needle in found]
                continue
            lead = _GLOBAL_FLAGS.match(pattern)
            body = pattern[lead.end() :] if lead else pattern
            together.append(f"(?{lead.group(1)}:{body})" if lead else f"(?:{body})")
        self._together = _one_regex(together, flags)
        self._alone = alone
        self._folding = folding
        self._lowercase_texts = lowercase
        self._lowercase = None
        if folding:
            same = [p for p in together if case_blind_in_lowercase(p, flags)]
            others = [p for p in together if p not in same]
            self._lowercase = [
                *filter(None, [_one_regex(same, flags & ~re.IGNORECASE), _one_regex(others, flags)])
            ]
        try:  # for search_many (a process compiles each list's database once)
            self._translated = tuple(ascii_prefilter.ascii_translation(p, flags) for p in patterns)
            ascii_prefilter.compile_database(self._translated)
        except (ascii_prefilter.Untranslatable, re.error, hyperscan.error):
            self._translated = None

    def search_many(self, texts: Sequence[str]) -> list[bool]:
        """search() of each of `texts`: those in ASCII scanned together first by Hyperscan
        (ascii_prefilter.py), and only the ones a pattern may match searched by re."""
        if not self._translated or not texts:
            return [bool(self.search(text)) for text in texts]
        found: list[bool] = []
        rows = []  # the ASCII texts: scanned, and searched only if a pattern may match
        for k, text in enumerate(texts):
            if text.isascii() and "\n" not in text:
                rows.append(k)
                found.append(False)
            else:
                found.append(bool(self.search(text)))
        for position in ascii_prefilter.candidates(self._translated, [texts[k] for k in rows]):
            k = rows[position]
            found[k] = bool(self.search(texts[k]))
        return found

    def search(self, text: str) -> bool:
        # the lowercase needles hold only where IGNORECASE pairs no letter with another
        unpaired = not self._lowercase_texts or text.isascii() or not _HAS_PAIRED.search(text)
        blind = self._folding and unpaired
        if unpaired:  # a pattern is searched when a needle of it is in the text
            for needle, regex in self._by_needle_blind if blind else self._by_needle:
                if needle in text and regex.search(text):
                    return True
        elif any(regex.search(text) for regex in self._sieved):
            return True
        if self._lowercase is not None and blind:
            found = any(regex.search(text) for regex in self._lowercase)
        else:
            found = self._together is not None and self._together.search(text) is not None
        return found or any(p.search(text) for p in self._alone)


def _tried_once(pattern: str, flags: int) -> bool:
    """Anchored at the start, and not opening with a run of any characters ("^tags?:",
    "^\\d+ comments", not "^.{0,80}..."): its search fails at once on most lines, faster
    than needles could be looked for."""
    try:
        items = _parser.parse(pattern, flags)
        while len(items) and items[0][0] is sre.SUBPATTERN:  # (?i:^...), (?:^...)
            items = items[0][1][3]
        anchored = len(items) > 1 and items[0] == (sre.AT, sre.AT_BEGINNING)
        return anchored and not _any_run(*items[1])
    except (re.error, TypeError, ValueError, IndexError):
        return False


def _any_run(op, av) -> bool:
    """A repeat of a character that almost any character is (., [^...], a negated literal)."""
    if op not in REPEATS or av[1] <= 1:
        return False
    body = av[2]
    if len(body) != 1:
        return True  # a group repeated: not a single cheap step either
    inner, members = body[0]
    return inner in (sre.ANY, sre.NOT_LITERAL) or (
        inner is sre.IN and bool(members) and members[0][0] is sre.NEGATE
    )


def _one_regex(patterns: list[str], flags: int) -> re.Pattern[str] | None:
    return re.compile("|".join(patterns), flags) if patterns else None


def case_blind_in_lowercase(pattern: str, flags: int = re.IGNORECASE) -> bool:
    """True when `pattern` under IGNORECASE matches a lowercased text exactly where it does
    without: every character it names (literals, set members and ranges) is its own
    lowercase and none is one of _CASE_PAIRS outside ASCII, and it has no backreference.

    Why that is enough: re under IGNORECASE compares a text character's lowercase with the
    pattern's, plus the pairs of _CASE_PAIRS. In lowercased text every character is its own
    lowercase, so only a pair can match differently, and each pair of a named character is
    outside ASCII (ASCII "i" and "s" pair with "ı" and "ſ"), where AnyOf does not go."""
    try:
        return _case_blind(_parser.parse(pattern, flags))
    except (re.error, TypeError, ValueError, AttributeError):
        return False


def _case_blind(items) -> bool:
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL):
            if not _plain_lowercase(av):
                return False
        elif op is sre.IN:
            if not all(_case_blind_member(member_op, member) for member_op, member in av):
                return False
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            return False
        elif op is sre.BRANCH:
            if not all(_case_blind(branch) for branch in av[1]):
                return False
        elif op is sre.SUBPATTERN:
            if not _case_blind(av[3]):
                return False
        elif op in REPEATS:
            if not _case_blind(av[2]):
                return False
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if not _case_blind(av[1]):
                return False
        elif op is sre.ATOMIC_GROUP:
            if not _case_blind(av):
                return False
        elif op not in (sre.ANY, sre.AT, sre.CATEGORY):
            return False  # anything else: searched as written
    return True


def _case_blind_member(op, av) -> bool:
    if op is sre.LITERAL:
        return _plain_lowercase(av)
    if op is sre.RANGE:
        low, high = av
        return high - low < _LARGEST_RANGE and all(map(_plain_lowercase, range(low, high + 1)))
    return op in (sre.NEGATE, sre.CATEGORY)


def _plain_lowercase(code: int) -> bool:
    char = chr(code)
    return char.lower() == char and not (char in _CASE_PAIRS and not char.isascii())
