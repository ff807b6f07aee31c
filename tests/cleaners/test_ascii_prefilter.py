"""ascii_prefilter: Hyperscan reports every ASCII line that a pattern matches as Python's re
does (drawn by hypothesis from the patterns themselves, placed among other lines of a
batch), and AnyOf.search_many gives search()'s answer for every line, ASCII or not."""

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cleaners import ascii_prefilter
from cleaners.ascii_prefilter import Untranslatable, ascii_translation, candidates
from cleaners.boilerplate import BoilerplateStripper, normalise_line
from cleaners.config import Config
from cleaners.document import Document
from cleaners.pipeline import DocumentCleaner
from cleaners.rule_lists import AnyOf
from tests.cleaners.test_rule_lists import LINES, RULE_LISTS

# what the rewrite widens or maps: lookarounds, lazy, possessive and atomic repeats, anchors,
# classes with non-ASCII members and ranges across ASCII's end, flags of a group, the letters
# IGNORECASE pairs with ASCII ones ("K" the Kelvin sign with "k", "ſ" with "s")
CONSTRUCTS = [
    (r"foo(?!bar)\w+", 0),
    (r"(?<=\d)px\b", 0),
    (r"a+?b{2,}+c", 0),
    (r"(?>ab|a)c", 0),
    (r"\Astart|end\Z|^mid$", 0),
    (r"\Bing\b", 0),
    (r"[À-Þ©x-é]\s*\d", 0),
    (r"[^a-é]{3}", 0),
    (r"x(?i:sk)y(?-i:Z)", re.IGNORECASE),
    (r"\u212aelvin|ſtop|[\u0100-\u017f]x", re.IGNORECASE),
    (r"(?s).{2}\W\S\D", 0),
    (r"(?a:\w+)\s+(?:\d{1,3}[.,])*\d+", 0),
]
PATTERNS = [*((p, f) for patterns, f in RULE_LISTS for p in patterns), *CONSTRUCTS]
ASCII = st.characters(codec="ascii", exclude_characters="\n")
ASCII_LINE = st.text(alphabet=ASCII, max_size=30)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_line_re_matches_is_a_candidate_wherever_it_sits_in_the_batch(data):
    pattern, flags = data.draw(st.sampled_from(PATTERNS))
    regex = re.compile(pattern, flags)
    # a pattern with a character outside ASCII may still match ASCII text: drawn unbounded
    matches = st.from_regex(regex, alphabet=ASCII if pattern.isascii() else None)
    line = data.draw(matches | ASCII_LINE)
    assume("\n" not in line and line.isascii() and regex.search(line))
    before = data.draw(st.lists(ASCII_LINE, max_size=3))
    after = data.draw(st.lists(ASCII_LINE, max_size=3))
    found = candidates((ascii_translation(pattern, flags),), [*before, line, *after])
    assert len(before) in found, (pattern, line)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(range(len(RULE_LISTS))),
    st.lists(LINES | ASCII_LINE, max_size=8),
    st.booleans(),
)
def test_search_many_gives_search_answers(which, lines, lowercase):
    patterns, flags = RULE_LISTS[which]
    texts = [normalise_line(line) for line in lines] if lowercase else lines
    rules = AnyOf(patterns, flags, lowercase=lowercase)
    assert rules.search_many(texts) == [bool(rules.search(text)) for text in texts]


def test_a_candidate_re_rejects_is_not_a_match():
    rules = AnyOf([r"foo(?!bar)", r"(?<=\d)px\b"])
    texts = ["foobar", "12px", "apx", "foo", "über foo"]
    assert candidates(rules._translated, texts[:4]) >= {0, 1, 2, 3}  # lookarounds dropped
    assert rules.search_many(texts) == [False, True, False, True, True]


def test_classes_and_case_are_read_from_re_itself():
    assert ascii_translation("©", 0) == ascii_prefilter._NEVER  # no ASCII line holds it
    assert ascii_translation("[a-cé]", 0) == r"[\x61-\x63]"
    assert ascii_translation("\u212a", re.IGNORECASE) == r"[\x4b\x6b]"  # Kelvin sign: k, K
    assert ascii_translation("x+?", 0) == r"(?:[\x78]){1,}"


def test_backreferences_leave_search_many_to_re():
    with pytest.raises(Untranslatable):
        ascii_translation(r"(\w)\1", 0)
    rules = AnyOf([r"(\w)\1", "zz"])
    assert rules._translated is None
    assert rules.search_many(["aa", "ab", "zz"]) == [True, False, True]


def test_a_pattern_hyperscan_refuses_leaves_it_to_re(monkeypatch):
    def refuse(translated):
        raise ascii_prefilter.hyperscan.error("refused")

    monkeypatch.setattr(ascii_prefilter, "compile_database", refuse)
    rules = AnyOf(["abc"])
    assert rules._translated is None
    assert rules.search_many(["xabc", "abd"]) == [True, False]


def test_stripper_output_is_the_one_line_at_a_time_output(generated_site_corpus, monkeypatch):
    """The batched rule lists against search() line by line (the plain path), on 300
    generated pages, with the layout rules and without (as for HTML)."""
    pages = generated_site_corpus[0]
    docs = [Document(d["id"], "gen", d["text"], d.get("title"), d.get("site")) for d in pages]
    config = Config.load()

    def run_all() -> list:
        cleaner = DocumentCleaner(config)
        stripper = BoilerplateStripper(config.boilerplate)
        cleaned = [(c.text, c.changes, c.reason) for c in map(cleaner.run, docs)]
        return cleaned + [stripper(d.text, d.title, layout=False) for d in docs]

    batched = run_all()
    monkeypatch.setattr(
        AnyOf, "search_many", lambda self, texts: [bool(self.search(t)) for t in texts]
    )
    assert batched == run_all()
    rules = {change.rule for _text, changes, *_ in batched for change in changes}
    assert {"boilerplate.pattern", "boilerplate.caption", "boilerplate.prompt"} <= rules
