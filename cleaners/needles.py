"""Strings that every match of a regex contains: a line with none of them cannot match, and
`needle in line` (a C-level scan) rules most lines out for far less than the regex's search.

Python's re has no such prefilter of its own: a pattern that is not anchored and does not
start with a literal is tried at every position of the line. Read off the pattern as re
itself parses it (the project runs on Python 3.11, whose parser is re._parser).
"""

from __future__ import annotations

import _sre
import itertools
import re
from re import _constants as sre
from re import _parser
from typing import NamedTuple

_MAX_NEEDLES = 8  # more `in` scans than this cost about what the regex does
# Under IGNORECASE an ASCII letter matches its other case and, of all other characters, only
# these (the re module's documentation: "İ", "ı", "ſ" and the Kelvin sign)
_ASCII_FOLDS = "\u0130\u0131\u017f\u212a"
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


class _Reading(NamedTuple):
    flags: int  # in force where the pattern is read (inline groups change them)
    lowercase: bool  # the searched texts are lowercased


def needles(pattern: str, flags: int = 0, lowercase: bool = False) -> tuple[str, ...] | None:
    """Strings of which every match of `pattern` (compiled with `flags`) contains at least
    one; None when there are no useful ones (a match may be made of letters and spaces
    alone, or the pattern is beyond this reading).

    `lowercase=True`: needles only for lowercased texts (str.lower) with no character that
    IGNORECASE pairs with another ("ı" with "i", "ſ" with "s": rule_lists._CASE_PAIRS). In
    such a text a letter under IGNORECASE can only match its own lowercase."""
    try:
        parsed = _parser.parse(pattern, flags)
        found = _sequence(parsed, _Reading(flags | parsed.state.flags, lowercase))
    except (re.error, TypeError, ValueError, AttributeError, IndexError):
        return None
    return tuple(sorted(found)) if found is not None and _useful(found) else None


def _sequence(items, reading: _Reading) -> frozenset[str] | None:
    """The best needles of a sequence: of any item every match must contain (runs of
    literals as whole strings), the fewest and most telling."""
    candidates: list[frozenset[str]] = []
    run: list[frozenset[str]] = []  # variants of each literal of the current run
    for op, av in [*items, (None, None)]:  # a sentinel item ends the last run
        if op is sre.LITERAL:
            variants = _literal(av, reading)
            if variants is not None:
                run.append(variants)
                continue
        if run:
            candidates.append(_run(run))
            run = []
        found = _item(op, av, reading) if op is not None else None
        if found is not None:
            candidates.append(found)
    useful = [c for c in candidates if _useful(c)]
    return min(useful, key=_rank) if useful else None


def _item(op, av, reading: _Reading) -> frozenset[str] | None:
    if op is sre.IN:
        return _char_set(av, reading)
    if op is sre.BRANCH:
        branches = [_sequence(branch, reading) for branch in av[1]]
        if any(b is None for b in branches):
            return None
        return frozenset().union(*branches)
    if op is sre.SUBPATTERN:
        _group, add, remove, body = av
        return _sequence(body, reading._replace(flags=(reading.flags | add) & ~remove))
    if op is sre.ATOMIC_GROUP:
        return _sequence(av, reading)
    if op in REPEATS:
        low, _high, body = av
        return _sequence(body, reading) if low >= 1 else None
    return None  # anchors, lookarounds, any character, categories, backreferences: no text


def _literal(code: int, reading: _Reading) -> frozenset[str] | None:
    """The characters a literal matches."""
    char = chr(code)
    if not reading.flags & re.IGNORECASE or not _sre.unicode_iscased(code):
        return frozenset(char)
    if reading.lowercase:  # the only character a lowercased text can match it with
        return frozenset(chr(_sre.unicode_tolower(code)))
    if not char.isascii():
        return None  # what else IGNORECASE takes it for is not listed here
    folds = {char.lower(), char.upper(), *_ASCII_FOLDS}
    return frozenset(c for c in folds if re.fullmatch(re.escape(char), c, re.IGNORECASE))


def _char_set(members, reading: _Reading) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in members:
        if op is sre.LITERAL:
            variants = _literal(av, reading)
        elif op is sre.RANGE and av[1] - av[0] < _MAX_NEEDLES:
            parts = [_literal(code, reading) for code in range(av[0], av[1] + 1)]
            variants = None if None in parts else frozenset().union(*parts)
        else:
            return None  # negated, a category (\s, \w), a wide range
        if variants is None:
            return None
        chars |= variants
    return frozenset(chars)


def _run(run: list[frozenset[str]]) -> frozenset[str]:
    """The strings a run of literals can be, or its most telling character's variants when
    they would be too many."""
    count = 1
    for variants in run:
        count *= len(variants)
    if count <= _MAX_NEEDLES:
        return frozenset("".join(p) for p in itertools.product(*map(sorted, run)))
    return min(run, key=_rank)


def _useful(found: frozenset[str]) -> bool:
    """Few enough, and none a lone letter, digit or space: those are in nearly every line."""
    return 0 < len(found) <= _MAX_NEEDLES and all(
        len(n) > 1 or not (n.isalnum() or n.isspace()) for n in found
    )


def _rank(found: frozenset[str]) -> tuple[int, int]:
    """The rarest needles first: the longest shortest one, a mark or punctuation counting
    as three letters (prose is mostly letters and spaces); then the fewest."""
    return (-min(map(_weight, found)), len(found))


def _weight(needle: str) -> int:
    return sum(1 if c.isalnum() or c.isspace() else 3 for c in needle)
