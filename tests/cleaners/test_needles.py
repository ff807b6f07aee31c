"""needles(): every match of a pattern holds one of its needles, checked on matches that
hypothesis draws from the patterns themselves, and over all of Unicode for what a letter
matches under IGNORECASE."""

import re
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cleaners.needles import needles
from cleaners.rule_lists import _HAS_PAIRED
from tests.cleaners.test_rule_lists import RULE_LISTS

# the constructs needles() reads: branches, groups with their own flags, repeats, sets,
# ranges, letters IGNORECASE folds ("k" and the Kelvin sign, "s" and "ſ", "i" and "ı")
CONSTRUCTS = [
    (r"(?:foo|bar)baz", 0),
    (r"x(?i:sk)y", 0),
    (r"(?i)kilo|ping", 0),
    (r"[k-m]{2}x", re.IGNORECASE),
    (r"(?:ab|cd)+e?", 0),
    (r"\d+\s+(?:comments?|shares?)", 0),
    (r"(?s).{3}©", 0),
    (r"[,;:]\s*[A-Z]\w+", 0),
    (r"\bemail (?:address|adresse)\b", re.IGNORECASE),
    (r"(?>ab)c", 0),
    (r"Straße|STRASSE", re.IGNORECASE),
]
PATTERNS = [
    (pattern, flags, lowercase)
    for pattern, flags in [*((p, f) for patterns, f in RULE_LISTS for p in patterns), *CONSTRUCTS]
    for lowercase in (False, True)
    if needles(pattern, flags, lowercase) is not None
]


def test_the_shipped_rules_mostly_have_needles():
    shipped = [(p, f) for patterns, f in RULE_LISTS for p in patterns]
    with_needles = [p for p, f in shipped if needles(p, f, lowercase=True)]
    assert len(with_needles) >= 0.8 * len(shipped)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_match_holds_one_of_the_needles(data):
    pattern, flags, lowercase = data.draw(st.sampled_from(PATTERNS))
    regex = re.compile(pattern, flags)
    text = data.draw(st.from_regex(regex))
    if lowercase:  # needles for lowercased texts with no letter IGNORECASE pairs
        text = text.lower()
        assume(not _HAS_PAIRED.search(text))
    match = regex.search(text)
    assume(match is not None)
    found = needles(pattern, flags, lowercase)
    assert any(needle in match.group() for needle in found), (pattern, text, found)


def test_what_it_finds():
    assert needles("(?:foo|bar)baz") == ("baz",)  # the longest of the run's strings
    assert needles("foo|bar") == ("bar", "foo")
    assert needles("a(?:bc)?d") is None  # "a", "d": lone letters are in nearly every line
    assert needles(r"\w+ \d+") is None
    assert needles("x*yz") == ("yz",)
    assert needles(r"\(c\)|©") == ("(c)", "©")
    assert needles("©.{0,8}ab") == ("©",)  # a mark counts as three letters
    assert needles("(?i)cc") == ("CC", "Cc", "cC", "cc")
    assert needles("cc", re.IGNORECASE, lowercase=True) == ("cc",)
    kelvin = "\u212a"  # IGNORECASE takes the Kelvin sign for "k"
    assert needles("ok", re.IGNORECASE) == tuple(
        sorted({"ok", "oK", "Ok", "OK", f"o{kelvin}", f"O{kelvin}"})
    )
    assert needles("(?i:ä)bc") == ("bc",)  # a letter outside ASCII under IGNORECASE: unread
    assert needles("Äbc", re.IGNORECASE, lowercase=True) == ("äbc",)
    assert needles("[ab]") is None and needles("[^ab]x") is None
    assert needles("[(:]") == ("(", ":")
    assert needles("(") is None  # not a regex


EVERY = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
LOWERCASED = "".join(c for c in EVERY if c.lower() == c and not _HAS_PAIRED.search(c))


@pytest.mark.parametrize("letter", [*"abcikstxyzAKS", "É", "ö", "Σ"])
def test_a_letter_under_ignorecase_matches_only_what_its_needles_hold(letter):
    """Over all of Unicode: what an ASCII letter matches under IGNORECASE, and what any
    letter matches in a lowercased text with no paired letter, is among its needles."""
    matched = set(re.findall(re.escape(letter), LOWERCASED, re.IGNORECASE))
    assert {f"©{m}" for m in matched} <= set(needles(f"©{letter}", re.IGNORECASE, lowercase=True))
    if letter.isascii():
        matched = set(re.findall(re.escape(letter), EVERY, re.IGNORECASE))
        assert {f"©{m}" for m in matched} == set(needles(f"©{letter}", re.IGNORECASE))
