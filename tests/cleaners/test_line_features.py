"""The fast paths of line_features against the plain computations they replace: the cached
facts of a line (line_facts: string tests, prefilters, the ASCII tokeniser) must give exactly
what the regexes give on the stripped line, and page_stopwords the stoplist that counting
every hit in order gives."""

from collections import Counter
from functools import cache

import justext
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import line_features as lf
from cleaners import word_scan

# What dates, counts, separators, sentence ends, CJK and words are made of, mixed with any text
TRICKY = st.sampled_from(
    [
        *"0123456789٣०１./-:|·•»›…!?;\"”’'()[]。！？，、；中文かなカナ한 \t\xa0\u2028\x1c_",
        *["Jan", "march", "Sept.", "2024", "1999", "12:30", " | ", " / ", "...", "[…]", "[...]"],
        *["12 comments", "3 min read", "İ", "ß", "e\u0301", "١٢/٣/٢٠٢٤", "\n"],
        *[".’", '."', "!)", "?»", "。”", "’’", " .", "..", "[…"],
    ]
)
LINES = st.lists(st.characters(codec="utf-8") | TRICKY, max_size=40).map("".join) | st.text(
    st.characters(max_codepoint=127)  # ASCII lines take a shortcut of their own
)


def plain_hits(line: str) -> bytes:
    """The set number of each word that is a stopword, looked up one by one."""
    classes = lf._stoplists().classes
    return b"".join(classes.get(t.lower(), b"") for t in lf.words(line))


def plain_facts(line: str) -> lf.LineFacts:
    """Every regex on every line, as line_shape and reads_as_prose once did."""
    line = line.strip()
    cjk = len(lf.CJK.findall(line))
    return lf.LineFacts(
        words=len(lf.words(line)),
        hits=plain_hits(line),
        cjk=cjk,
        cjk_punct=bool(cjk and lf._CJK_PUNCT.search(line)),
        sentence=bool(lf.SENTENCE_END.search(line)),
        full_stop=bool(lf._FULL_STOP.search(line)),
        ellipsis=bool(lf.ELLIPSIS.search(line)),
        separator=bool(lf.SEPARATOR.search(line)),
        date_or_count=bool(lf.DATE.search(line) or lf.COUNT.match(line)),
    )


@pytest.fixture(autouse=True)
def _no_facts_known():
    """Each test works its lines' facts out again (the cache would answer from earlier)."""
    lf._facts.clear()
    yield
    lf._facts.clear()


@settings(max_examples=3000)
@given(LINES)
def test_line_facts_give_the_plain_regexes_answers(line):
    lf._facts.pop(line, None)
    assert lf.line_facts(line) == plain_facts(line)


# Lines of stopwords of one language or many, long words (over the 8 bytes a word can be its
# own key), capitals, ' and . inside words and out, punctuation outside ASCII, other text
SCANNED_PARTS = st.sampled_from(
    [
        *"the The THE and of de la a in die der und le et que el en het een och på и в 的".split(),
        *["nevertheless", "notwithstanding", "aujourd'hui", "c'est", "d'un", "l'homme", "u.s."],
        *["don't", "it's", "O'Neill", "e.g.", "a..b", "'quoted'", "end.", "x'", "Mr.Smith"],
        *[" ", "  ", ", ", "—", "“", "”", "’", "\xa0", "é", "İ", "_", "-", "12", "3.5"],
        *[" | ", " / ", "» ", " · ", "• ", "12:30", "Jan 5, 2024", "3 comments", "2024"],
    ]
)
SCANNED_LINES = st.lists(SCANNED_PARTS | st.characters(codec="utf-8"), max_size=30).map(
    "".join
) | st.text(st.characters(max_codepoint=127) | st.sampled_from(lf._WORDLESS))


@settings(max_examples=2000, deadline=None)
@given(st.lists(SCANNED_LINES.map(lambda line: line.replace("\n", " ")), max_size=6))
def test_facts_of_lines_scanned_together_are_each_lines_own(lines):
    """The compiled scan of a page's new lines (word_scan) gives every line the facts the
    regexes give it, line by line: its words, the stopword hits in order, the rest."""
    lf._facts.clear()
    lf.prime_line_facts(lines)
    for line in lines:
        assert lf._facts[line] == plain_facts(line)


def test_the_scan_finds_every_stopword_it_can_read():
    """Each of jusText's words that is one ASCII word is found with its own set number, the
    long ones (checked byte by byte after their hash) too; capitals do not matter."""
    stop = lf._stoplists()
    words = [w for w in stop.classes if w.isascii() and lf.WORD.fullmatch(w)]
    assert len(words) > 10_000 and any(len(w) > 8 for w in words)
    scanned = word_scan.scan_lines([*words, *(w.upper() for w in words)], stop.table)
    assert scanned.counts.tolist() == [1] * (2 * len(words))
    assert scanned.hits == b"".join(stop.classes[w] for w in words) * 2


def test_the_scan_leaves_lines_outside_ascii_to_the_regexes():
    lines = ["the İstanbul", "the — end’s", "中文 the"]
    scanned = word_scan.scan_lines(lines, lf._stoplists().table)
    assert scanned.counts.tolist() == [word_scan.NOT_SCANNED, 3, word_scan.NOT_SCANNED]


@settings(max_examples=500, deadline=None)
@given(SCANNED_LINES, st.sampled_from(range(len(lf._stoplists().lists))))
def test_stopword_ratio_from_hits_is_the_share_of_words_in_the_list(line, language):
    """line_shape reads a line's words in the page's stoplist off its hits; a set of words
    that is no stoplist is counted word by word."""
    stoplist = lf._stoplists().lists[language]
    tokens = [t.lower() for t in lf.words(line)]
    for stopwords in (stoplist, frozenset({"the", "und"}), frozenset()):
        expected = sum(t in stopwords for t in tokens) / len(tokens) if tokens else 0.0
        shape = lf.line_shape(line, stopwords)
        if not lf.line_facts(line).cjk:
            assert shape.stopword_ratio == expected


def test_wordless_characters_are_in_no_word():
    assert not any(lf.WORD.search(c) or c in "'." for c in lf._WORDLESS)


# ASCII with the punctuation that may turn into spaces, and now and then a letter that may not
WORDLESS_LINES = st.text(st.characters(max_codepoint=127) | st.sampled_from([*lf._WORDLESS, "é"]))


@settings(max_examples=2000)
@given(WORDLESS_LINES)
def test_tokens_with_punctuation_outside_ascii_are_the_regexes(line):
    assert lf._lower_tokens(line) == tuple(t.lower() for t in lf.words(line))


@settings(max_examples=1000)
@given(LINES)
def test_tokens_of_a_line_do_not_depend_on_its_surrounding_whitespace(line):
    """The facts are cached by the raw line but computed on the stripped one."""
    assert [t.lower() for t in lf.words(line)] == list(lf.lower_words(line))
    assert lf.lower_words(line) == lf.lower_words(line.strip())


@cache
def jus_text_stoplists() -> list[frozenset[str]]:
    names = sorted(justext.get_stoplists())
    return [frozenset(w.lower() for w in justext.get_stoplist(name)) for name in names]


def plain_page_stopwords(lines: list[str]) -> frozenset[str]:
    """page_stopwords one hit at a time over the first 3000 words, straight from jusText's
    stoplists, as it was first written."""
    stoplists = jus_text_stoplists()
    seen, hits = 0, []
    for line in lines:
        tokens = [t.lower() for t in lf.words(line)]
        hits += [lang for t in tokens for lang, words in enumerate(stoplists) if t in words]
        seen += len(tokens)
        if seen >= lf._STOPLIST_SAMPLE:
            break
    if not hits:
        return frozenset()
    counts = Counter(hits)
    most = max(counts.values())
    first = min((hits.index(lang), lang) for lang, n in counts.items() if n == most)[1]
    return stoplists[first]


# Words that are stopwords of one language, of many ("de", "a", "la"), or of none
STOPWORDS = st.sampled_from(
    "the and of de la a in die der und le et que el en het een och på и в 的 是 zzq Qwerty".split()
)
PAGE_LINES = st.lists(st.lists(STOPWORDS, max_size=12).map(" ".join), max_size=8)


@settings(max_examples=500, deadline=None)
@given(PAGE_LINES)
def test_page_stopwords_from_hit_counts_gives_the_plain_path_answer(lines):
    """Hits per language from the stopword matrix (ties, where the first hit decides, fall
    back to the plain path) choose the same stoplist as counting every hit in order."""
    assert lf.page_stopwords(lines) == plain_page_stopwords(lines)


# sets of languages (a word's), numbered from 1 as _stoplists numbers them: some overlap
LANGUAGE_SETS = st.lists(
    st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True).map(sorted),
    min_size=1,
    max_size=6,
)


@settings(max_examples=1000, deadline=None)
@given(LANGUAGE_SETS, st.data())
def test_most_hit_counts_every_hit_and_breaks_ties_by_the_first(sets, data):
    """The compiled count: the language with the most hits, on a tie the one that comes
    first when each language of each word is a hit of its own, in order (a small alphabet:
    ties are common, and one word is often the first hit of several languages)."""
    words = data.draw(st.lists(st.integers(1, len(sets)), max_size=60))
    languages = [language for number in words for language in sets[number - 1]]
    counts = Counter(languages)
    most = max(counts.values(), default=0)
    tied = [lang for lang, n in counts.items() if n == most]
    expected = min(tied, key=languages.index) if languages else -1
    starts = np.cumsum([0, 0, *map(len, sets)])
    members = np.array([language for key in sets for language in key], dtype=np.int64)
    hits = np.array(words, dtype=np.uint16)
    assert lf.most_hit(hits, starts, members, 6) == expected


def test_stopword_sets_give_each_word_its_languages():
    """A word's number names exactly the stoplists it is in."""
    stop = lf._stoplists()
    for word in ["the", "de", "a", "die", "och", "и", "的", "zzq"]:
        number = int(np.frombuffer(stop.classes.get(word, b"\0\0"), lf._HIT)[0])
        languages = stop.members[stop.starts[number] : stop.starts[number + 1]]
        assert list(languages) == [i for i, s in enumerate(jus_text_stoplists()) if word in s]


def test_page_stopwords_stops_after_the_sample():
    long_line = " ".join(["the"] * lf._STOPLIST_SAMPLE)
    assert lf.page_stopwords([long_line, "die der und " * 50]) == plain_page_stopwords(
        [long_line, "die der und " * 50]
    )
