"""The shape of one line of scraped text, and how much it reads like article prose.

A line's own evidence, before any context: its length in words (CJK characters count as half
a word each), whether it ends like a sentence, how many of its words are function words of
the page's language (stoplists from jusText, which cover 100 languages), and the marks of
page chrome: separators (`|` `·` `»`), dates and counts, a teaser cut off with "...".
`layout.py` weighs these scores in context.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np
from numba import njit

from cleaners.config import LayoutConfig
from cleaners.word_scan import (
    DIGIT,
    MARK,
    NOT_SCANNED,
    StopwordTable,
    scan_lines,
    stopword_table,
)

WORD = re.compile(r"[^\W_]+(?:['.][^\W_]+)*", re.UNICODE)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_PUNCT = re.compile(r"[。！？，、；]")
SENTENCE_END = re.compile(r"[.!?…:;。！？\"”»)]\s*$")
_FULL_STOP = re.compile(r"[.!?。！？][\"'”’»)]*\s*$")
ELLIPSIS = re.compile(r"(?:\.\.\.|…|\[…\]|\[\.\.\.\])\s*$")
SEPARATOR = re.compile(r"\s[|·•»›/]\s|^\s*[|·•»›]|[|·•»›]\s*$")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(
    rf"\b\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{2,4}}\b|\b\d{{1,2}}:\d\d\b|\b(?:19|20)\d\d\W{{0,3}}$"
    rf"|\b{_MONTH} \d{{1,2}},? (?:19|20)\d\d\b|\b\d{{1,2}}\.? {_MONTH} (?:19|20)\d\d\b",
    re.IGNORECASE,
)
# Cheap tests that must pass before the regexes above can match (the line_facts fast path):
# every alternative of DATE has a digit, every one of SEPARATOR a separator mark. Each
# looked for with `in` (memchr), faster than a regex testing the line character by character;
# outside ASCII \d is any script's digit, which only the regex knows.
_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = "0123456789"
_SEPARATOR_MARKS = "|·•»›/"
# On a stripped line, the end-anchored regexes above are tests of its last characters:
# `\s*$` matches nothing there (str.strip and `\s` agree on what is whitespace).
_SENTENCE_END_CHARS = frozenset('.!?…:;。！？"”»)')
_FULL_STOP_CHARS = frozenset(".!?。！？")
_CLOSERS = "\"'”’»)"
_ELLIPSES = ("...", "…", "[…]", "[...]")
COUNT = re.compile(r"^\W*\d[\d.,]*\s*[^\W\d_]+\W*[^\W\d_]*\W*$")
_STOPLIST_SAMPLE = 3000  # words of a page enough to tell its language


def words(line: str) -> list[str]:
    return WORD.findall(line)


# Distinct lines whose facts are remembered (some 300 bytes each): enough for every pass over
# a page and for the chrome lines a site repeats on its pages; then they start again
_FACTS_CACHE = 50_000
_facts: dict[str, LineFacts] = {}  # a cache of a pure function's answers, by the line


class LineFacts(NamedTuple):
    """What a line says by itself, whatever page it is on: worked out once per distinct line
    (the rules ask about a line many times: several passes, then later pages of a site)."""

    words: int  # its words (WORD), CJK characters not counted
    hits: bytes  # the set of languages of each word that is a stopword, in order (_HIT each)
    cjk: int  # CJK characters
    cjk_punct: bool  # CJK sentence punctuation
    sentence: bool
    full_stop: bool
    ellipsis: bool
    separator: bool
    date_or_count: bool


def line_facts(line: str) -> LineFacts:
    """The facts of `line` (leading and trailing whitespace ignored)."""
    facts = _facts.get(line)
    if facts is None:
        stripped = line.strip()
        tokens = _lower_tokens(stripped)
        hits = b"".join(filter(None, map(_stoplists().classes.get, tokens)))
        facts = _remember(line, _line_facts(stripped, len(tokens), hits))
    return facts


def prime_line_facts(lines: Iterable[str]) -> None:
    """Work out the facts of the lines not yet known all at once: their words and stopword
    hits in one compiled scan (word_scan.py), a line it cannot take on the Python path."""
    if len(_facts) > _FACTS_CACHE:
        _facts.clear()
    new = [line for line in dict.fromkeys(lines) if line not in _facts and "\n" not in line]
    if not new:
        return
    scanned = scan_lines(new, _stoplists().table, _SEPARATOR_MARKS)
    counts, hits, ends = scanned.counts.tolist(), scanned.hits, scanned.ends.tolist()
    start = 0
    for line, count, end, flags in zip(new, counts, ends, scanned.flags.tolist(), strict=True):
        if count == NOT_SCANNED:
            line_facts(line)
        else:  # ASCII once its wordless characters are spaces: no CJK, no digit but ASCII's
            _facts[line] = _line_facts(
                line.strip(), count, hits[2 * start : 2 * end], 0, flags & DIGIT, flags & MARK
            )
        start = end


def _remember(line: str, facts: LineFacts) -> LineFacts:
    if len(_facts) > _FACTS_CACHE:
        _facts.clear()
    _facts[line] = facts
    return facts


def _line_facts(
    line: str,
    words: int,
    hits: bytes,
    cjk: int | None = None,
    digit: int | None = None,
    mark: int | None = None,
) -> LineFacts:
    """The facts of the stripped `line` with its words and hits counted (`cjk`, and whether
    it has a digit, a separator mark, when known)."""
    if cjk is None:
        cjk = 0 if line.isascii() else len(CJK.findall(line))
    if digit is None:
        digit = _has_digit(line)
    if mark is None:
        mark = _holds_any(line, _SEPARATOR_MARKS)
    return LineFacts(
        words,
        hits,
        cjk,
        bool(cjk and _CJK_PUNCT.search(line)),  # cjk_punct
        line[-1:] in _SENTENCE_END_CHARS,  # sentence: SENTENCE_END
        line.rstrip(_CLOSERS)[-1:] in _FULL_STOP_CHARS,  # full_stop: _FULL_STOP
        line.endswith(_ELLIPSES),  # ellipsis: ELLIPSIS
        bool(mark) and bool(SEPARATOR.search(line)),  # separator
        bool(digit) and bool(DATE.search(line) or COUNT.match(line)),  # date_or_count
    )


def _holds_any(line: str, chars: str) -> bool:
    for char in chars:  # noqa: SIM110  (a loop: any() would build a generator each call)
        if char in line:
            return True
    return False


def _has_digit(line: str) -> bool:
    return _holds_any(line, _ASCII_DIGITS) if line.isascii() else bool(_DIGIT.search(line))


# ASCII: letters lowercased, what a word can be made of kept, anything else a space
_ASCII_WORD_CHARS = str.maketrans(
    {c: c.lower() if c.isalnum() or c in "'." else " " for c in map(chr, range(128))}
)


# Punctuation and spaces outside ASCII that are no part of any word (nor ' or .), most often
# first: where a line has no other non-ASCII character, they may become spaces and the line
# take the ASCII path (curly quotes and dashes are in a quarter of generated news lines)
_WORDLESS = "”“’‘—–»«→·©…•€°™®£¥§¶\u00a0\u2009\u202f"


def _lower_tokens(line: str) -> tuple[str, ...]:
    """The words of `line`, each lowercased (WORD.findall). An ASCII line is lowercased and
    cut at characters no word contains first (str.translate and split are much faster than
    the regex); only a piece with ' or . inside needs WORD. Elsewhere lowercasing could
    move a word's edges ("İ" -> "i̇"), so each word is lowercased after the regex."""
    if not line.isascii():
        plain = line
        for char in _WORDLESS:
            plain = plain.replace(char, " ")
            if plain.isascii():  # O(1): CPython knows whether a str is ASCII
                return _lower_tokens(plain)
        return tuple(token.lower() for token in WORD.findall(line))
    tokens: list[str] = []
    for piece in line.translate(_ASCII_WORD_CHARS).split():
        if "'" in piece or "." in piece:
            tokens += WORD.findall(piece)
        else:
            tokens.append(piece)
    return tuple(tokens)


@lru_cache(maxsize=8192)
def lower_words(line: str) -> tuple[str, ...]:
    """words(line), lowercased (cached: the rules that need the words themselves, not only
    their number, ask about a line again on each pass)."""
    return _lower_tokens(line.strip())


def words_used(words: Collection[str], lines: Sequence[str]) -> set[str]:
    """Which of `words` (lowercased) are words of some of `lines` (lower_words): the lines
    scanned at once for them (word_scan.py, the words as the table), a line the scan cannot
    take tokenised here."""
    numbered = {word: k for k, word in enumerate(words, start=1)}
    lines = [line for line in lines if "\n" not in line]  # (lines of a text have none)
    if not numbered or not lines:
        return set()
    scanned = scan_lines(lines, stopword_table(numbered, _WORDLESS))
    found = set(np.frombuffer(scanned.hits, _HIT).tolist())
    used = {word for word, k in numbered.items() if k in found}
    for line, count in zip(lines, scanned.counts.tolist(), strict=True):
        if count == NOT_SCANNED:
            used.update(numbered.keys() & set(lower_words(line)))
    return used


def word_count(line: str) -> int:
    """len(words(line)), from the line's facts (no word is made a string on the fast path)."""
    return line_facts(line).words


class LineShape(NamedTuple):
    words: int  # CJK characters count as half a word
    sentence: bool  # ends like a sentence (or a quote, a colon)
    full_stop: bool  # ends with . ! ? (a complete sentence)
    ellipsis: bool  # ends with "..." or "[…]": a teaser cut short
    separator: bool  # | · • » › between items: breadcrumbs, menus, bylines
    date_or_count: bool  # a date, a time, or "12 comments"
    stopword_ratio: float  # share of words that are function words of the page's language


def line_shape(line: str, stopwords: frozenset[str]) -> LineShape:
    facts = line_facts(line)
    if facts.cjk:
        n = facts.words + facts.cjk // 2
        ratio = 1.0 if facts.cjk_punct else 0.0
    else:
        n = facts.words
        ratio = _stopwords_in(line, facts, stopwords) / n if n else 0.0
    return LineShape(
        words=n,
        sentence=facts.sentence,
        full_stop=facts.full_stop,
        ellipsis=facts.ellipsis,
        separator=facts.separator,
        date_or_count=facts.date_or_count,
        stopword_ratio=ratio,
    )


def prose_score(shape: LineShape, config: LayoutConfig) -> float:
    """Positive for article prose (more for longer lines), negative for chrome-like lines,
    about zero for lines that only their neighbours can decide (headings, captions)."""
    prose = shape.stopword_ratio >= config.min_stopword_ratio or shape.sentence
    if shape.words >= config.prose_words and prose:
        score = min(shape.words, config.cap_words) / 10
        return score if shape.sentence else score * config.unended_factor
    if shape.ellipsis:
        return config.ellipsis_score
    if shape.date_or_count:
        return config.date_score
    if shape.separator and not shape.sentence:
        return config.separator_score
    if shape.words < config.short_words:
        return config.short_score / 2 if shape.sentence else config.short_score
    return config.medium_score if shape.sentence else config.heading_score


def reads_as_prose(line: str, config: LayoutConfig) -> bool:
    """A sentence line: layout rules never remove it (only named phrase and pattern rules,
    or site chrome, may). Conservative: losing a sentence is worse than keeping a notice."""
    facts = line_facts(line)
    n = facts.words + facts.cjk // 2
    return n >= config.protected_words and facts.full_stop


def _stopwords_in(line: str, facts: LineFacts, stopwords: frozenset[str]) -> int:
    """How many of the line's words are in `stopwords`: read off its hits when `stopwords`
    is one of jusText's lists (a word of a list is a hit whose set holds that language),
    else counted word by word."""
    if not stopwords:
        return 0
    in_language = _stoplists().languages.get(stopwords)
    if in_language is None:
        return sum(map(stopwords.__contains__, lower_words(line)))
    return sum(map(in_language.__getitem__, memoryview(facts.hits).cast("H")))


class _Stoplists(NamedTuple):
    lists: tuple[frozenset[str], ...]  # jusText's stoplists, by language
    # every stopword of any language -> the number (1, 2, ...) of its set of languages, as two
    # bytes: words that are stopwords of the same languages share one (jusText's 154,000
    # words make some 2,400 sets). A line's hits are a join of its words' numbers, a page's a
    # join of its lines': a 13th of the bytes of one byte per language hit (English
    # function words are stopwords of many: "the" of 79 lists), one bytes object per set
    classes: dict[str, bytes]
    starts: np.ndarray  # the languages of set c: members[starts[c]:starts[c + 1]], ascending
    members: np.ndarray
    table: StopwordTable  # the words and their numbers, for the compiled scan
    # a list -> whether each set (by number) holds its language: a byte per set, 0 or 1
    languages: dict[frozenset[str], bytes]


_HIT = np.dtype("=u2")  # a hit, a set's number (native order: memoryview.cast reads it)


@cache
def _stoplists() -> _Stoplists:
    import justext

    names = sorted(justext.get_stoplists())
    lists = tuple(frozenset(w.lower() for w in justext.get_stoplist(name)) for name in names)
    languages_of: dict[str, list[int]] = {}
    for i, stoplist in enumerate(lists):
        for word in stoplist:
            languages_of.setdefault(word, []).append(i)
    hits: dict[tuple[int, ...], bytes] = {}  # a set of languages -> its number, numbered 1, 2...
    classes: dict[str, bytes] = {}
    for word, languages in languages_of.items():
        key = tuple(languages)  # ascending: the lists are read in order
        hit = hits.get(key)
        if hit is None:  # (numpy raises past a hit's 65,535 sets)
            hit = hits[key] = np.array(len(hits) + 1, _HIT).tobytes()
        classes[word] = hit
    sizes = [0, 0, *map(len, hits)]  # set 0 is no set
    members = np.fromiter((language for key in hits for language in key), np.int64, sum(sizes))
    numbers = {word: int(np.frombuffer(hit, _HIT)[0]) for word, hit in classes.items()}
    languages = {}
    for i, stoplist in enumerate(lists):
        holds = bytearray(len(hits) + 1)
        for number, key in enumerate(hits, start=1):
            holds[number] = i in key
        languages.setdefault(stoplist, bytes(holds))  # (two names may share one list)
    return _Stoplists(
        lists,
        classes,
        np.cumsum(sizes),
        members,
        stopword_table(numbers, _WORDLESS),
        languages,
    )


def page_stopwords(lines: Iterable[str]) -> frozenset[str]:
    """The function words of the page's language: the jusText stoplist that covers most of
    the words of its first lines (no language detection model needed; works on any script
    jusText covers). On a tie, the language whose first hit comes first wins."""
    stop = _stoplists()
    seen = 0
    found: list[bytes] = []
    known_facts = _facts.get  # (line_facts, without its call on a line already known)
    for line in lines:
        known = known_facts(line) or line_facts(line)
        seen += known.words
        found.append(known.hits)
        if seen >= _STOPLIST_SAMPLE:
            break
    hits = np.frombuffer(b"".join(found), _HIT)  # every word that is a hit, in order
    if not len(hits):
        return frozenset()
    return stop.lists[most_hit(hits, stop.starts, stop.members, len(stop.lists))]


@njit(cache=True, nogil=True)
def most_hit(hits: np.ndarray, starts: np.ndarray, members: np.ndarray, languages: int) -> int:
    """The language with the most hits, on a tie the one hit first (-1 without hits); a hit
    is a word's set of languages (`starts`, `members`: see _Stoplists), so one word may be
    the first hit of several languages: the first of them in order wins, as if each language
    of a word were a hit of its own, one after the other. Compiled: the page's hits (a
    median of 600 on generated news) are counted by set, then each set that occurs (a median
    of 116) adds its count to its languages; np.bincount would copy them to 64-bit integers
    first, and knows no first hit."""
    per_set = np.zeros(len(starts) - 1, np.int64)
    set_first = np.empty(len(starts) - 1, np.int64)
    seen = np.empty(len(hits), np.int64)  # the sets that occur, in the order of their first hit
    distinct = 0
    for i in range(len(hits)):
        number = hits[i]
        if per_set[number] == 0:
            set_first[number] = i
            seen[distinct] = number
            distinct += 1
        per_set[number] += 1
    counts = np.zeros(languages, np.int64)
    first = np.zeros(languages, np.int64)
    for j in range(distinct):  # a language's first set here holds its first hit
        number = seen[j]
        for k in range(starts[number], starts[number + 1]):
            language = members[k]
            if counts[language] == 0:
                first[language] = set_first[number]
            counts[language] += per_set[number]
    best = -1
    for language in range(languages):
        n = counts[language]
        if n and (
            best < 0 or n > counts[best] or (n == counts[best] and first[language] < first[best])
        ):
            best = language
    return best


def line_scores(
    lines: Sequence[str],
    config: LayoutConfig,
    stopwords: frozenset[str] | None = None,
    memo: dict[str, float] | None = None,
) -> list[float]:
    """prose_score of every line (blank lines score 0). A caller that scores the same page
    again (after removing lines) passes the page's stopwords and a memo of line scores."""
    if stopwords is None:
        stopwords = page_stopwords(lines)
    memo = {} if memo is None else memo
    scores = []
    for line in lines:
        score = memo.get(line)
        if score is None:
            score = prose_score(line_shape(line, stopwords), config) if line.strip() else 0.0
            memo[line] = score
        scores.append(score)
    return scores
