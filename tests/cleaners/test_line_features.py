"""The cached facts of a line (line_features.line_facts) and their shortcuts must give exactly
what the plain regexes give on the stripped line, as the shape of a line was first computed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import line_features as lf

# What dates, counts, separators, sentence ends, CJK and words are made of, mixed with any text
TRICKY = st.sampled_from(
    [
        *"0123456789٣०１./-:|·•»›…!?;\"”’'()[]。！？，、；中文かなカナ한 \t\xa0\u2028\x1c_",
        *["Jan", "march", "Sept.", "2024", "1999", "12:30", " | ", " / ", "...", "[…]", "[...]"],
        *["12 comments", "3 min read", "İ", "ß", "e\u0301", "١٢/٣/٢٠٢٤", "\n"],
    ]
)
LINES = st.lists(st.characters(codec="utf-8") | TRICKY, max_size=40).map("".join) | st.text(
    st.characters(max_codepoint=127)  # ASCII lines take a shortcut of their own
)


def plain_facts(line: str) -> lf.LineFacts:
    """Every regex on every line, as line_shape and reads_as_prose once did."""
    line = line.strip()
    cjk = len(lf.CJK.findall(line))
    return lf.LineFacts(
        tokens=tuple(t.lower() for t in lf.words(line)),
        cjk=cjk,
        cjk_punct=bool(cjk and lf._CJK_PUNCT.search(line)),
        sentence=bool(lf.SENTENCE_END.search(line)),
        full_stop=bool(lf._FULL_STOP.search(line)),
        ellipsis=bool(lf.ELLIPSIS.search(line)),
        separator=bool(lf.SEPARATOR.search(line)),
        date_or_count=bool(lf.DATE.search(line) or lf.COUNT.match(line)),
    )


@settings(max_examples=3000)
@given(LINES)
def test_line_facts_give_the_plain_regexes_answers(line):
    assert lf.line_facts(line) == plain_facts(line)


@settings(max_examples=1000)
@given(LINES)
def test_tokens_of_a_line_do_not_depend_on_its_surrounding_whitespace(line):
    """The facts are cached by the raw line but computed on the stripped one."""
    assert [t.lower() for t in lf.words(line)] == list(lf.lower_words(line))
    assert lf.lower_words(line) == lf.lower_words(line.strip())
