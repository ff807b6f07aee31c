import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.config import EncodingConfig
from cleaners.encoding import EncodingFixer

fix = EncodingFixer()


def test_mojibake_is_repaired_and_recorded():
    text, changes = fix("The cafÃ© was crowded.\nA second line.\n")
    assert text == "The café was crowded.\nA second line.\n"
    assert [(c.rule, c.removed, c.replacement) for c in changes] == [("encoding", "Ã©", "é")]


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


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("&<>;Ã©â€™\r\n")))
def test_fast_path_gives_the_plain_path_output(text):
    """Skipping ftfy on plain-ASCII lines changes nothing: ftfy on every line gives the same."""
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    assert fix(text).text == "".join(fix.fix_line(line) for line in lines)


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
