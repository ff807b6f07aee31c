import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.escapes import EscapeFixer

fix = EscapeFixer()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"stating, \"I think we are on the way.\" He", 'stating, "I think we are on the way." He'),
        (r"it\'s", "it's"),
        (r"first paragraph.\nSecond paragraph.", "first paragraph.\nSecond paragraph."),
        (r"one.\n\nthe next starts lowercase", "one.\n\nthe next starts lowercase"),
        (r"Col A\tCol B", "Col A\tCol B"),
        (r"caf\u00e9 \ud83d\ude00", "café 😀"),
        ("the &amp;quot;cartoon&amp;quot; &amp;#8211; ok", 'the "cartoon" \u2013 ok'),
        ("ten&nbsp;km", "ten km"),
    ],
)
def test_artifacts_are_undone(raw, clean):
    assert fix(raw).text == clean


@pytest.mark.parametrize(
    "content",
    [
        r"Open C:\new\table.txt in the editor.",
        r"The share is \\server\public\notes.",
        r"Match it with ^\d+\s*\n$ in Python.",
        r"Files live in dir\name and dir\temp.",
        r"An escaped backslash \\n stays.",
        r"A lone escape \ud800 stays.",
        "Plain text with no escapes at all.",
    ],
)
def test_backslashes_that_are_content_stay(content):
    assert fix(content) == (content, [])


def test_each_replacement_is_recorded_once():
    _, changes = fix(r"\"a\" and \"b\"")
    assert [(c.rule, c.removed, c.replacement) for c in changes] == [("escapes.quote", '\\"', '"')]


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("\\nrtu\"'0abcdefD:8 .&amp;quot;nbsp") | st.characters()))
def test_idempotent_and_never_raises(text):
    once = fix(text).text
    assert fix(once).text == once
