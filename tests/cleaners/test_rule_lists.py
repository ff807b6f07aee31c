"""AnyOf against its patterns searched one by one, and the case-insensitive rules searched
without IGNORECASE in lowercased text against the same rules searched as written."""

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import normalise_line
from cleaners.config import Config
from cleaners.rule_lists import _CASE_PAIRS, AnyOf, case_blind_in_lowercase

BOILERPLATE = Config.load().boilerplate
RULE_LISTS = [
    (BOILERPLATE.patterns, re.IGNORECASE),
    (BOILERPLATE.notice_patterns, re.IGNORECASE),
    (BOILERPLATE.prompt_patterns, re.IGNORECASE),
    (BOILERPLATE.caption_patterns, 0),
]
# lines that some of the default patterns match, to mix into the generated text
MATCHING = [
    "© 2024 River Journal. All rights reserved.",
    "Photograph by Jane Doe",
    "The minister in Berlin. © dpa",
    "this site is licensed under a creative commons licence",
    "we may earn a commission if you buy through links",
    "your browser is out of date",
    "Subscribe to our newsletter",
    "Ihre E-Mail-Adresse",
    "thıs ſite ıs lıcenſed under a creatıve commons lıcence",  # "ı", "ſ": "i", "s" to re.I
    "ſubſcribe to our newſletter",
]
# what IGNORECASE takes for another letter ("ı" for "i", "ſ" for "s", "ς" for "σ", "K"
# the Kelvin sign for "k"), and uppercase
PAIRED = st.sampled_from([*sorted(_CASE_PAIRS), "\u212a", "İ", "ẞ", *"ABCSI"])
LINES = st.lists(st.sampled_from(MATCHING) | st.text(max_size=20) | PAIRED, max_size=4).map(
    " ".join
)


def separately(patterns: list[str], flags: int, text: str) -> bool:
    return any(re.compile(p, flags).search(text) for p in patterns)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(range(len(RULE_LISTS))), LINES)
def test_one_regex_of_a_rule_list_matches_where_any_of_its_patterns_does(which, line):
    patterns, flags = RULE_LISTS[which]
    assert AnyOf(patterns, flags).search(line) == separately(patterns, flags, line)
    norm = normalise_line(line)
    assert AnyOf(patterns, flags).search(norm) == separately(patterns, flags, norm)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(range(len(RULE_LISTS))), LINES)
def test_lowercased_text_gets_the_case_insensitive_answer(which, line):
    patterns, flags = RULE_LISTS[which]
    for text in (line.lower(), normalise_line(line)):
        found = AnyOf(patterns, flags, lowercase=True).search(text)
        assert found == separately(patterns, flags, text)


def test_a_letter_ignorecase_pairs_with_another_still_matches():
    rules = AnyOf([r"\bthis site\b", r"^kelvin$"], re.IGNORECASE, lowercase=True)
    assert rules.search("thıs site")  # dotless ı: "i" under IGNORECASE
    assert rules.search("this ſite")  # long s
    assert not rules.search("that site")


def test_which_patterns_are_searched_without_ignorecase():
    assert case_blind_in_lowercase(r"\bmay contain (?:affiliate|partner) links?\b")
    assert case_blind_in_lowercase(r"^[a-zäöü]{2,}\s*:\s*\d+$")
    assert case_blind_in_lowercase(r"(?<!x)[^.!?]{0,60}\S+$")
    assert not case_blind_in_lowercase("Creative Commons")  # uppercase: no match in lowercase
    assert not case_blind_in_lowercase("[A-Z]")
    assert not case_blind_in_lowercase("σ")  # IGNORECASE also takes "ς"
    assert not case_blind_in_lowercase(r"(\w+) \1")  # a backreference compares text to text


def test_only_the_pairs_match_a_lowercase_letter_under_ignorecase():
    """The reasoning behind case_blind_in_lowercase, checked over all of Unicode for every
    character the default rules name: in lowercased text with no pair outside ASCII, a rule
    letter under IGNORECASE matches only itself."""
    lowercase = "".join(
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if not 0xD800 <= ord(c) <= 0xDFFF
        and c.lower() == c
        and not (c in _CASE_PAIRS and not c.isascii())
    )
    every = (chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert all(x.lower() == x for c in every for x in c.lower())  # lowercased text is its own
    named = {c for patterns, _ in RULE_LISTS for p in patterns for c in p if c.lower() == c}
    for char in named:
        assert re.compile(re.escape(char), re.IGNORECASE).findall(lowercase) == [char]


def test_patterns_with_their_own_flags_or_backreferences_keep_their_meaning():
    found = AnyOf([r"(?i)^photo by \w+$", r"\b(\w+) \1\b", r"^(?P<w>x)(?P=w)$", "^Plain$"])
    assert found.search("PHOTO BY Jane")  # its own (?i), though the others are case-sensitive
    assert not found.search("plain")
    assert found.search("Plain")
    assert found.search("it was was")  # \1 still refers to its own group
    assert not found.search("it was not")
    assert found.search("xx") and not found.search("xy")
    assert not AnyOf([]).search("anything")
    assert not AnyOf([], re.IGNORECASE, lowercase=True).search("anything")
