"""Which of many ASCII lines some of a list of Python regexes may match, in one Hyperscan scan.

Python's re tries each pattern at every position of a line, one line at a time: the notice
rules cost some 4.9 us a short line, most of a page's new lines being prose that none of
them matches. Hyperscan scans a page's lines joined by newlines against all patterns at
once (the notices 2.0 us a line, re's searches of its hits included; stop 31 of
docs/performance-log.md). It does not run Python's dialect, so
each pattern is rewritten here from the tree re itself parses, for ASCII text only (77% of
the generated corpus's new lines): every character class becomes the explicit set of ASCII
characters that Python's own compiled class matches under the flags in force, which
settles case folding, `\\w`, `\\s` and non-ASCII members the way re does. What Hyperscan
cannot run the same way (lookarounds, lazy or possessive repeats, atomic groups) is
widened: dropped, or made greedy. So the rewrite matches wherever the pattern does, and
perhaps more; a line it reports is then searched by Python, and the answers are exactly
re's (the hypothesis test in tests/cleaners/test_ascii_prefilter.py checks both claims).

No class matches a newline, so a match never spans two joined lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from re import _compiler, _parser
from re import _constants as sre

import hyperscan

from cleaners.needles import REPEATS

_ASCII = [chr(c) for c in range(128) if c != 10]  # the characters a line can hold
_NEVER = r"\x80"  # a class no ASCII character is in: no match through it
_FLAGS = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY | hyperscan.HS_FLAG_PREFILTER


class Untranslatable(ValueError):
    """A construct Hyperscan has no superset for here (a backreference, a conditional)."""


def ascii_translation(pattern: str, flags: int = 0) -> str:
    """A Hyperscan pattern (byte mode, multiline) that matches an ASCII text without newlines
    wherever `pattern` (compiled with `flags`) does: `re.search` finds a match only if
    Hyperscan does. Raises Untranslatable, or re.error for an invalid pattern."""
    parsed = _parser.parse(pattern, flags)
    return _sequence(parsed, flags | parsed.state.flags)


def _sequence(items, flags: int) -> str:
    return "".join(_item(op, av, flags) for op, av in items)


def _item(op, av, flags: int) -> str:
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        return _char_class(op, av, flags)
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(branch, flags) for branch in av[1]) + ")"
    if op is sre.SUBPATTERN:
        _group, add, remove, body = av
        return "(?:" + _sequence(body, (flags | add) & ~remove) + ")"
    if op is sre.ATOMIC_GROUP:
        return "(?:" + _sequence(av, flags) + ")"
    if op in REPEATS:  # lazy and possessive repeats match where greedy ones do, or less
        low, high, body = av
        bound = f"{low}," if high == sre.MAXREPEAT else f"{low},{high}"
        return "(?:" + _sequence(body, flags) + "){" + bound + "}"
    if op is sre.AT:
        return _anchor(av)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return ""  # a lookaround only ever rules matches out: without it, more match
    raise Untranslatable(f"{op} is not translated")


def _anchor(at) -> str:
    """In a line with no newline, ^ and \\A are its start, $ and \\Z its end: multiline ^
    and $ are each joined line's. \\b and \\B: ASCII word characters are re's."""
    if at in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        return "^"
    if at in (sre.AT_END, sre.AT_END_STRING):
        return "$"
    if at is sre.AT_BOUNDARY:
        return r"\b"
    if at is sre.AT_NON_BOUNDARY:
        return r"\B"
    raise Untranslatable(f"{at} is not translated")


def _char_class(op, av, flags: int) -> str:
    frozen = tuple(av) if isinstance(av, list) else av  # a class's members: (op, av) pairs
    members = _ascii_members(op, frozen, flags)
    return _class_text(members) if members else _NEVER


@lru_cache(maxsize=4096)
def _ascii_members(op, av, flags: int) -> tuple[int, ...]:
    """The ASCII characters (newline aside) one character item matches: asked of re itself,
    the item compiled alone with the flags in force."""
    state = _parser.State()
    state.flags = flags
    compiled = _compiler.compile(_parser.SubPattern(state, [(op, av)]), flags)
    return tuple(ord(c) for c in _ASCII if compiled.fullmatch(c))


def _class_text(codes: Sequence[int]) -> str:
    parts, k = [], 0
    while k < len(codes):
        end = k
        while end + 1 < len(codes) and codes[end + 1] == codes[end] + 1:
            end += 1
        parts.append(f"\\x{codes[k]:02x}" if end == k else f"\\x{codes[k]:02x}-\\x{codes[end]:02x}")
        k = end + 1
    return "[" + "".join(parts) + "]"


def candidates(translated: tuple[str, ...], lines: Sequence[str]) -> set[int]:
    """Indexes of the `lines` (ASCII, no newline) that one of `translated`
    (ascii_translation's forms) may match."""
    if not lines:
        return set()
    database, scratch = compile_database(translated)
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    found: set[int] = set()

    def on_match(_id: int, _start: int, end: int, _flags: int, _context: object) -> None:
        # no class matches a newline: a match lies in one line, and ends at most at the
        # newline after it (a line's end; the next line starts one further)
        found.add(bisect_right(starts, end) - 1)

    database.scan("\n".join(lines).encode("ascii"), match_event_handler=on_match, scratch=scratch)
    return found


@lru_cache(maxsize=64)
def compile_database(translated: tuple[str, ...]) -> tuple[hyperscan.Database, hyperscan.Scratch]:
    """Compiled once per process for each list of patterns (a few tenths of a second)."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[p.encode("ascii") for p in translated],
        ids=list(range(len(translated))),
        elements=len(translated),
        flags=[_FLAGS] * len(translated),
    )
    return database, hyperscan.Scratch(database)
