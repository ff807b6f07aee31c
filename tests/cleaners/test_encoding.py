import difflib
import re
from itertools import pairwise
from re import _constants as sre
from re import _parser

import pytest
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.config import EncodingConfig
from cleaners.encoding import (
    _MOJIBAKE_ANCHORS,
    _MOJIBAKE_NEIGHBOURS,
    EncodingFixer,
    _diff,
    _may_be_mojibake,
)

fix = EncodingFixer()


def test_mojibake_is_repaired_and_recorded():
    text, changes = fix("The cafÃ© was crowded.\nA second line.\n")
    assert text == "The café was crowded.\nA second line.\n"
    assert [(c.rule, c.removed, c.replacement) for c in changes] == [("encoding", "Ã©", "é")]


def test_a_line_fixed_on_one_page_is_fixed_the_same_on_the_next_without_ftfy(monkeypatch):
    """A site's damaged chrome comes back page after page: ftfy runs once per line."""
    fixer = EncodingFixer()
    first = fixer("The cafÃ© was crowded.\nA second line.\n")
    monkeypatch.setattr(fixer, "fix_line", lambda line: pytest.fail(f"ftfy again on {line!r}"))
    second = fixer("Another page.\nThe cafÃ© was crowded.\nA second line.\n")
    assert second.text == "Another page.\nThe café was crowded.\nA second line.\n"
    assert second.changes == first.changes == [("encoding", "Ã©", "é")]


def test_the_memo_of_fixed_lines_is_bounded(monkeypatch):
    monkeypatch.setattr("cleaners.encoding._MEMO_LINES", 2)
    fixer = EncodingFixer()
    for word in ("cafÃ©", "naÃ¯ve", "rÃ©sumÃ©", "dÃ©jÃ "):
        fixer(f"The {word} line.\n")
        assert len(fixer._fixed) <= 2
    assert fixer("The naÃ¯ve line.\n").text == "The naïve line.\n"


def test_double_escaped_entities_are_unescaped():
    assert fix("He said &amp;quot;peace&amp;quot; twice.").text == 'He said "peace" twice.'


def test_curly_quotes_and_cjk_punctuation_are_content():
    text = "Zelensky’s “letter”, 中文，标点。"
    assert fix(text) == (text, [])


def test_entities_on_a_markup_line_stay_as_written():
    text = "Use <b>&amp;</b> in HTML."
    assert fix(text).text == text


def test_uncurling_can_be_switched_on():
    assert EncodingFixer(EncodingConfig(uncurl_quotes=True))("it’s").text == "it's"


def test_control_characters_are_removed():
    assert fix("bell\x07 here").text == "bell here"


# Characters that mojibake, entities and ftfy's other fixers are made of, mixed with plain text
TRICKY = st.sampled_from(
    [
        *"&<>;#\r\n\t\x1b\x85\u2028\xa0ÃÂâ€™“”‘’–—…•†‡ﬁﬂＡ，　ｶ\ufeff\u200b",
        *["&amp;", "&quot;", "Ã©", "â€™", "Ã\xa0", "e\u0301", "\ud83d"],
    ]
)
COMBINING = st.sampled_from(["\u0301", "\u0308", "\u0327", "e\n\u0301", "\u1100\n\u1161", "\uff21"])
FAST_PATH_CONFIGS = [
    EncodingConfig(),
    EncodingConfig(uncurl_quotes=True, fix_character_width=True, normalization="NFKC"),
    EncodingConfig(fix_latin_ligatures=False, normalization=None),
]


@pytest.mark.parametrize("config", FAST_PATH_CONFIGS)
@settings(max_examples=400)
@given(text=st.lists(st.characters(codec="utf-8") | TRICKY, max_size=30).map("".join))
def test_fast_path_gives_the_plain_path_output(config, text):
    """Skipping ftfy on lines it would not change changes nothing: ftfy on every line gives
    the same."""
    fixer = EncodingFixer(config)
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    assert fixer(text).text == "".join(fixer.fix_line(line) for line in lines)


@pytest.mark.parametrize("config", FAST_PATH_CONFIGS)
@settings(max_examples=400)
@given(text=st.lists(st.characters(codec="utf-8") | TRICKY | COMBINING, max_size=30).map("".join))
def test_whole_text_check_only_skips_texts_whose_lines_all_skip_ftfy(config, text):
    """When the whole text shows nothing for ftfy, no line of it does either (normalisation
    included: a combining mark after a line break composes with nothing)."""
    fixer = EncodingFixer(config)
    if not fixer.any_line_may_need_ftfy(text):
        lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
        assert not any(fixer.needs_ftfy(line) for line in lines)


BADNESS_CHARS = sorted({c for c in BADNESS_RE.pattern if ord(c) > 127})


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from(BADNESS_CHARS) | st.characters(max_codepoint=127)))
def test_lines_without_mojibake_anchors_are_not_bad(text):
    """The fast path skips ftfy's is_bad() when no anchor character is present: that is only
    right if is_bad() then really is False."""
    if not _MOJIBAKE_ANCHORS.search(text):
        assert not is_bad(text)


# Text where characters of BADNESS_RE mostly stand alone between ASCII ones ("café", "Ãx"),
# the case the neighbours' check lets through without asking is_bad()
ISOLATED = st.lists(
    st.tuples(
        st.text(st.characters(max_codepoint=127), min_size=1, max_size=3),
        st.sampled_from(BADNESS_CHARS),
    )
).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=3000)
@given(
    ISOLATED | st.text(alphabet=st.sampled_from(BADNESS_CHARS) | st.characters(max_codepoint=127))
)
def test_lines_that_may_not_be_mojibake_are_not_bad(text):
    """The fast path skips is_bad() without two non-ASCII characters in a row (or one of the
    few that match alone): only right if is_bad() then really is False."""
    if not _may_be_mojibake(text):
        assert not is_bad(text)


def _non_ascii_class(item) -> bool:
    """A regex item that matches one character, never an ASCII one."""
    op, av = item
    if op is sre.LITERAL:
        return av > 127
    if op is sre.IN:
        return all(
            (member == sre.LITERAL and value > 127) or (member == sre.RANGE and value[0] > 127)
            for member, value in av
        )
    return False


def _one_of(item) -> set[str] | None:
    """The characters a regex item of literals and ranges matches (None for any other)."""
    op, av = item
    if op is sre.LITERAL:
        return {chr(av)}
    if op is not sre.IN:
        return None
    chars = set()
    for member, value in av:
        if member == sre.LITERAL:
            chars.add(chr(value))
        elif member == sre.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return chars


def test_every_mojibake_alternative_needs_two_non_ascii_neighbours_or_a_lone_character():
    """What _MOJIBAKE_NEIGHBOURS stands on, read off ftfy's regex itself: each alternative of
    BADNESS_RE has two items in a row that match only non-ASCII characters, or an item that
    matches only characters the check finds alone. A new ftfy with other rules fails here."""
    lone = {chr(c) for c in range(0x80, 0x10000) if _MOJIBAKE_NEIGHBOURS.fullmatch(chr(c))}
    assert lone == {*map(chr, range(0x80, 0xA0)), *"ŒœÃÂ"}
    [(op, (_, alternatives))] = list(_parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags))
    assert op is sre.BRANCH and len(alternatives) > 30
    for alternative in alternatives:
        items = list(alternative)
        paired = any(_non_ascii_class(a) and _non_ascii_class(b) for a, b in pairwise(items))
        alone = any((chars := _one_of(item)) is not None and chars <= lone for item in items)
        assert paired or alone, items


@pytest.mark.parametrize("text", ["&ap;\u2028<", "<\u2028&ap;", "a\rb &amp; <"])
def test_idempotent_when_ftfy_makes_new_lines(text):
    """Found by bench/fuzz_cleaners.py: U+2028 becomes a line break, and the new lines must be
    fixed as lines of their own (their '<' no longer protects the other line's entities)."""
    once = fix(text).text
    assert fix(once).text == once


@settings(max_examples=300)
@given(st.text())
def test_idempotent_and_never_raises(text):
    once = fix(text).text
    assert fix(once).text == once


# A line and its repair share most characters
EDITS = st.lists(st.sampled_from([*"ab ’“”\"'-–é"]), max_size=60).map("".join)


@settings(max_examples=1000)
@given(old=EDITS, new=EDITS)
def test_changes_are_the_fragments_the_standard_difflib_finds(old, new):
    """cydifflib (compiled) gives the fragments the standard library's difflib gives."""
    assert _diff(old, new, "encoding") == _diff(old, new, "encoding", difflib.SequenceMatcher)


def plain_trim(old: str, new: str) -> tuple[str, str]:
    """The common start and end cut off one character at a time, as _diff first did."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return old[start : len(old) - end], new[start : len(new) - end]


class Whole:
    """A sequence matcher that reports the two strings it was given, whole."""

    def __init__(self, _junk, old: str, new: str, autojunk: bool) -> None:
        self.old, self.new = old, new

    def get_opcodes(self) -> list[tuple]:
        return [("replace", 0, len(self.old), 0, len(self.new))]


@settings(max_examples=2000)
@given(start=EDITS, old=EDITS, new=EDITS, end=EDITS)
def test_the_common_start_and_end_are_cut_as_one_character_at_a_time_would(start, old, new, end):
    old, new = start + old + end, start + new + end
    [change] = _diff(old, new, "encoding", Whole)
    assert (change.removed, change.replacement) == plain_trim(old, new)
