"""The words of many lines and their stopword hits, in one compiled pass over the lines' bytes.

Working out a line's words in Python (str.translate, split, one dict lookup a word against
jusText's 154,000 stopwords) was a third of the boilerplate step: each distinct line of a
page costs some 15 µs, most of it the interpreter's, not the work. Here a page's new lines
go to numba as one UTF-8 buffer, and for each line come back its number of words and the
stopword set of each word that is a stopword (line_features._Stoplists), without a Python
string made for any word.

The compiled tokeniser is line_features._lower_tokens' ASCII path: a word is a run of ASCII
letters and digits, with a ' or . inside between two of them (WORD); characters in
line_features._WORDLESS are spaces. A line with any other character outside ASCII is left
to the Python path (its count is -1): its words are the regex's, Unicode-wide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: a key's slot is its top bits
_LONG = 1 << 16  # a slot's meta: the word is longer than 8 bytes (its key is a hash)
NOT_SCANNED = -1  # a line's count when it needs the Python path


class StopwordTable(NamedTuple):
    """Every stopword in an open-addressing hash table, each slot 16 bytes (one probe, one
    cache line: the table is far larger than the cache, and a lookup's cost was its
    misses). A word of up to 8 bytes is its own key (its bytes as one integer); a longer
    one's key is its FNV-1a hash, checked against its bytes on a match."""

    slots: np.ndarray  # uint64 [size, 2]: key, meta (set number | _LONG | word << 17; 0 empty)
    shift: int  # 64 - log2(size)
    blob: np.ndarray  # uint8: the words longer than 8 bytes, one after another
    starts: np.ndarray  # int64: long word w is blob[starts[w]:starts[w + 1]]
    wordless: np.ndarray  # int64: code points that count as spaces, sorted


def stopword_table(numbers: dict[str, int], wordless: Iterable[str]) -> StopwordTable:
    """The table of `numbers` (stopword -> its set's number, 1 to 65,535; the words
    lowercased)."""
    encoded = [word.encode("utf-8", "surrogatepass") for word in numbers]
    long_words = [word for word in encoded if len(word) > 8]
    blob = np.frombuffer(b"".join(long_words), np.uint8)
    starts = np.cumsum([0, *map(len, long_words)], dtype=np.int64)
    bits = max(4, (2 * len(encoded)).bit_length())  # under half full
    slots = np.zeros((1 << bits, 2), np.uint64)
    metas, long_index = [], 0
    for word, number in zip(encoded, numbers.values(), strict=True):
        if len(word) > 8:
            metas.append(number | _LONG | long_index << 17)
            long_index += 1
        else:
            metas.append(number)
    every = np.frombuffer(b"".join(encoded), np.uint8)
    bounds = np.cumsum([0, *map(len, encoded)], dtype=np.int64)
    _fill(slots, 64 - bits, every, bounds, np.array(metas, np.int64))
    return StopwordTable(
        slots=slots,
        shift=64 - bits,
        blob=blob,
        starts=starts,
        wordless=np.array(sorted(map(ord, wordless)), np.int64),
    )


class ScannedLines(NamedTuple):
    counts: np.ndarray  # int32: words in each line, or NOT_SCANNED
    hits: bytes  # the stopword hits of every line, each a native uint16 set number
    ends: np.ndarray  # int64: line k's hits are hits[2 * ends[k - 1]:2 * ends[k]]
    flags: np.ndarray  # int8: DIGIT, MARK of each scanned line


def scan_lines(lines: Sequence[str], table: StopwordTable, marks: str = "") -> ScannedLines:
    """Words and hits of each of `lines` (none may hold a newline: they are cut at them),
    and whether it holds an ASCII digit, a character of `marks`."""
    data = np.frombuffer("\n".join(lines).encode("utf-8", "surrogatepass"), np.uint8)
    ascii_marks = np.zeros(128, np.bool_)
    ascii_marks[[ord(c) for c in marks if c.isascii()]] = True
    counts, hits, ends, flags = _scan(
        data,
        len(lines),
        table.slots,
        table.shift,
        table.blob,
        table.starts,
        table.wordless,
        ascii_marks,
        np.array(sorted(ord(c) for c in marks if not c.isascii()), np.int64),
    )
    return ScannedLines(counts, hits.astype("=u2").tobytes(), ends, flags)


@njit(cache=True, nogil=True, inline="always")
def _lower(b: int) -> int:
    return b + 32 if 65 <= b <= 90 else b


@njit(cache=True, nogil=True, inline="always")
def _key(data: np.ndarray, start: int, end: int) -> np.uint64:
    """data[start:end], ASCII capitals lowercased: its bytes as one integer (up to 8), else
    their FNV-1a hash."""
    key = np.uint64(0)
    if end - start <= 8:
        for i in range(end - 1, start - 1, -1):
            key = (key << np.uint64(8)) | np.uint64(_lower(data[i]))
        return key
    key = _FNV_OFFSET
    for i in range(start, end):
        key = (key ^ np.uint64(_lower(data[i]))) * _FNV_PRIME
    return key


@njit(cache=True, nogil=True, inline="always")
def _home(key: np.uint64, shift: int) -> int:
    return np.int64((key * _GOLDEN) >> np.uint64(shift))


@njit(cache=True, nogil=True)
def _fill(
    slots: np.ndarray, shift: int, words: np.ndarray, bounds: np.ndarray, metas: np.ndarray
) -> None:
    """Word w is words[bounds[w]:bounds[w + 1]]; its slot holds its key and metas[w]."""
    mask = len(slots) - 1
    for w in range(len(metas)):
        key = _key(words, bounds[w], bounds[w + 1])
        slot = _home(key, shift)
        while slots[slot, 1] != 0:
            slot = (slot + 1) & mask
        slots[slot, 0] = key
        slots[slot, 1] = metas[w]


@njit(cache=True, nogil=True, inline="always")
def _number(
    data: np.ndarray,
    start: int,
    end: int,
    slots: np.ndarray,
    shift: int,
    blob: np.ndarray,
    starts: np.ndarray,
) -> int:
    """The set number of the word data[start:end] (lowercased), or 0: not a stopword."""
    mask = len(slots) - 1
    key = _key(data, start, end)
    long = end - start > 8
    slot = _home(key, shift)
    while True:
        meta = np.int64(slots[slot, 1])
        if meta == 0:
            return 0
        if slots[slot, 0] == key and ((meta & _LONG) != 0) == long:
            if not long:
                return meta & 0xFFFF
            w = meta >> 17
            at = starts[w]
            if starts[w + 1] - at == end - start:
                same = True
                for i in range(end - start):
                    if blob[at + i] != _lower(data[start + i]):
                        same = False
                        break
                if same:
                    return meta & 0xFFFF
        slot = (slot + 1) & mask


@njit(cache=True, nogil=True, inline="always")
def _alnum(b: int) -> bool:
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122


@njit(cache=True, nogil=True)
def _in_sorted(code: int, codes: np.ndarray) -> bool:
    k = np.searchsorted(codes, code)
    return k < len(codes) and codes[k] == code


DIGIT, MARK = 1, 2  # a line's flags: an ASCII digit, a character of the marks asked about


@njit(cache=True, nogil=True)
def _line_flags(
    data: np.ndarray,
    start: int,
    end: int,
    wordless: np.ndarray,
    ascii_marks: np.ndarray,
    marks: np.ndarray,
) -> int:
    """The line's flags, or -1 when it is not ASCII once its wordless characters are
    spaces."""
    flags = 0
    i = start
    while i < end:
        b = data[i]
        if b < 128:
            if 48 <= b <= 57:
                flags |= DIGIT
            elif ascii_marks[b]:
                flags |= MARK
            i += 1
            continue
        if b >= 0xF0:
            length, code = 4, b & 0x07
        elif b >= 0xE0:
            length, code = 3, b & 0x0F
        else:
            length, code = 2, b & 0x1F
        for k in range(1, length):
            code = (code << 6) | (data[i + k] & 0x3F)
        if not _in_sorted(code, wordless):
            return -1
        if _in_sorted(code, marks):
            flags |= MARK
        i += length
    return flags


@njit(cache=True, nogil=True)
def _scan(
    data: np.ndarray,
    n_lines: int,
    slots: np.ndarray,
    shift: int,
    blob: np.ndarray,
    starts: np.ndarray,
    wordless: np.ndarray,
    ascii_marks: np.ndarray,
    marks: np.ndarray,
):
    counts = np.full(n_lines, NOT_SCANNED, np.int32)
    line_flags = np.zeros(n_lines, np.int8)
    hits = np.empty(len(data) // 2 + n_lines + 1, np.uint16)  # a word is a byte and a space
    ends = np.zeros(n_lines, np.int64)
    n_hits = 0
    line_start = 0
    for line in range(n_lines):
        line_end = line_start
        while line_end < len(data) and data[line_end] != 10:
            line_end += 1
        found = _line_flags(data, line_start, line_end, wordless, ascii_marks, marks)
        if found >= 0:
            line_flags[line] = found
            words = 0
            i = line_start
            while i < line_end:
                if not _alnum(data[i]):  # a space, a mark, a wordless character's byte
                    i += 1
                    continue
                word_start = i
                while True:
                    while i < line_end and _alnum(data[i]):
                        i += 1
                    # ' or . between two letters or digits joins them (WORD)
                    if (
                        i + 1 < line_end
                        and (data[i] == 39 or data[i] == 46)
                        and _alnum(data[i + 1])
                    ):
                        i += 1
                        continue
                    break
                words += 1
                number = _number(data, word_start, i, slots, shift, blob, starts)
                if number:
                    hits[n_hits] = number
                    n_hits += 1
            counts[line] = words
        ends[line] = n_hits
        line_start = line_end + 1
    return counts, hits[:n_hits], ends, line_flags
