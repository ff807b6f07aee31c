"""Site chrome: lines recurring across many different articles of one site go; a line that
only the copies of one article repeat stays; documents without a site are untouched."""

import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import normalise_line
from cleaners.chrome import (
    CHROME_SCHEMA,
    ArticleLines,
    ChromeLines,
    ChromeStripper,
    SiteLineFrequency,
    _tidy,
    chrome_lines,
    find_chrome,
    line_hash,
    line_norms,
    site_lines,
    tidy_texts,
)
from cleaners.config import Config
from cleaners.dedup.shingles import whitespace
from tests import synthetic

CONFIG = Config.load().chrome
NAV = "Home | World | Sport | Culture"
COOKIE = "We use cookies to improve your experience on our website."
FOOTER = "© 2024 River Journal"
VOCAB = """river town council bridge market school harvest festival mayor budget vote
road museum library station weather storm farmers teachers nurses bakery""".split()


def article(rng: random.Random, n: int) -> list[str]:
    return [
        " ".join(rng.choice(VOCAB) for _ in range(14)).capitalize() + f" ({n}.{p})."
        for p in range(5)
    ]


def page(body: list[str]) -> str:
    return "\n".join([NAV, "", *body, "", COOKIE, FOOTER])


def site_corpus():
    rng = random.Random(7)
    docs = [("river.example", page(article(rng, n))) for n in range(12)]
    story = [*article(rng, 99), "The mayor said the bridge would reopen in May."]
    copies = [story, story, story, [*story[:-2], story[-2] + " Updated.", story[-1]]]
    docs += [("river.example", page(body)) for body in copies]
    docs += [("other.example", page(article(rng, 200 + n))) for n in range(3)]
    return docs, story


def _stored(table: pa.Table, tmp: Path) -> pa.Table:
    """Through a Parquet file, as the flow stores it between tasks."""
    path = tmp / f"{len(list(tmp.iterdir()))}.parquet"
    pq.write_table(table, path)
    return pq.read_table(path)


def counted(docs, shards=3, config=CONFIG):
    """The flow's passes, the documents dealt round-robin into `shards` shards."""
    parts = [docs[i::shards] for i in range(shards)]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        frequencies = []
        for part in parts:
            frequency = SiteLineFrequency()
            for site, text in part:
                frequency.count(text, site)
            frequencies.append(_stored(frequency.to_table(), tmp))
        lines = _stored(site_lines(pa.concat_tables(frequencies), config), tmp)
        articles = []
        for part in parts:
            counter = ArticleLines(lines, config)
            for site, text in part:
                counter.count(text, site)
            articles.append(_stored(counter.to_table(), tmp))
        return chrome_lines(pa.concat_tables(articles), config)


def test_recurring_site_lines_are_chrome_but_a_copied_article_is_not():
    docs, story = site_corpus()
    chrome = counted(docs)
    strip = ChromeStripper(chrome)
    text = docs[12][1]  # a copy of the story
    cleaned = strip(text, "river.example")
    assert [c.removed for c in cleaned.changes] == [NAV, COOKIE, FOOTER]
    assert {c.rule for c in cleaned.changes} == {"chrome"}
    for line in story:
        assert line in cleaned.text.split("\n")


def test_few_pages_of_a_site_are_not_enough():
    docs, _ = site_corpus()
    chrome = counted(docs)
    assert "other.example" not in chrome.sites  # 3 pages < min_docs
    text = docs[-1][1]
    assert ChromeStripper(chrome)(text, "other.example").text == text


def test_documents_without_a_site_are_untouched():
    docs, _ = site_corpus()
    chrome = counted(docs)
    frequency = SiteLineFrequency()
    for _ in range(10):
        frequency.count(page(["Nothing here."]), None)
    assert frequency.to_table().num_rows == 0
    assert ChromeStripper(chrome)(docs[0][1], None).text == docs[0][1]


def test_shards_give_what_one_batch_gives():
    docs, _ = site_corpus()
    one = find_chrome([(text, site) for site, text in docs], CONFIG)
    assert counted(docs, shards=1) == one == counted(docs, shards=4)
    assert one.sites["river.example"] >= {line_hash(x) for x in (NAV, COOKIE, FOOTER)}
    stored = pa.table(one.to_columns(), schema=CHROME_SCHEMA).to_pydict()
    assert ChromeLines.from_columns(stored) == one


def test_share_threshold_from_config():
    rng = random.Random(3)
    # the nav line on 10 of 100 articles: enough articles by default (no share asked),
    # too small a share when min_share = 0.2 is set
    docs = [
        ("big.example", "\n".join([NAV if n < 10 else "Menu", *article(rng, n)]))
        for n in range(100)
    ]
    for min_share, chrome in ((0.2, False), (0.05, True), (None, True)):
        config = Config.load(chrome={} if min_share is None else {"min_share": min_share}).chrome
        found = counted(docs, config=config).sites.get("big.example", set())
        assert (line_hash(NAV) in found) is chrome, min_share


def test_line_frequency_adds_up_across_shards():
    """Pass 1 per shard, added up, equals one count over everything; the lines it keeps are
    those on common_docs pages of the site, with their page counts."""
    docs, _ = site_corpus()
    one = SiteLineFrequency()
    shards = [SiteLineFrequency() for _ in range(5)]
    for i, (site, text) in enumerate(docs):
        one.count(text, site)
        shards[i % 5].count(text, site)
    total = site_lines(pa.concat_tables(s.to_table() for s in shards), CONFIG)
    assert sorted(total.to_pylist(), key=str) == sorted(
        site_lines(one.to_table(), CONFIG).to_pylist(), key=str
    )
    docs_of = {(r["site"], r["line_hash"]): r["docs"] for r in total.to_pylist()}
    assert docs_of["river.example", line_hash(NAV)] == 16
    # the same rows in, the same table out, in one order (sorted), whatever the input order
    shuffled = pa.concat_tables(s.to_table() for s in reversed(shards))
    keys = list(zip(total["site"].to_pylist(), total["line_hash"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    assert site_lines(shuffled, CONFIG).equals(total)
    assert docs_of["other.example", line_hash(NAV)] == 3
    assert ("river.example", line_hash(docs[0][1].split("\n")[2])) not in docs_of  # own line


def test_generated_site_corpus(generated_site_corpus):
    """Removed lines are lines that many different true clusters of the site share (article
    keys tell copies apart only with high probability: a copy with another key makes one
    cluster count twice, so a few lines fall short of min_docs); chrome the generator puts on
    every page goes."""
    docs, truth = generated_site_corpus
    clusters = defaultdict(set)  # (site, normalised line) -> true clusters having it
    for d in docs:
        for line in d["text"].split("\n"):
            if line.strip():
                clusters[d["site"], normalise_line(line)].add(truth[d["id"]])
    chrome = counted([(d["site"], d["text"]) for d in docs])
    strip = ChromeStripper(chrome)
    removed = short = 0
    for d in docs:
        cleaned = strip(d["text"], d["site"])
        for change in cleaned.changes:
            shared_by = len(clusters[d["site"], normalise_line(change.removed)])
            assert shared_by >= CONFIG.min_docs // 2, change.removed
            short += shared_by < CONFIG.min_docs
        removed += len(cleaned.changes)
        assert cleaned.text.strip(), d["id"]
    assert removed > 5 * len(docs)
    assert short <= 0.01 * removed
    assert all(len(chrome.sites.get(site, ())) >= 5 for site in {d["site"] for d in docs})


PROPERTY_STRIPPER = ChromeStripper(counted(site_corpus()[0]))
CHROME_NORMS = {normalise_line(x) for x in (NAV, COOKIE, FOOTER)}
LINES = st.one_of(st.sampled_from([NAV, COOKIE, FOOTER, "", "Body text here."]), st.text())


@settings(max_examples=200)
@given(st.lists(LINES, max_size=12).map("\n".join), st.sampled_from(["river.example", None]))
def test_stripper_is_idempotent_and_never_raises(text, site):
    strip = PROPERTY_STRIPPER
    once = strip(text, site).text
    assert strip(once, site).text == once
    kept = {normalise_line(x) for x in once.split("\n")}
    for line in text.split("\n"):
        if line.strip() and normalise_line(line) not in CHROME_NORMS:
            assert normalise_line(line) in kept


def _small_hash_notice() -> str:
    """A long cookie notice whose hash is smaller than any article line's here (so it would
    be the article key of every page that has it)."""
    return next(
        n
        for i in range(100_000)
        if line_hash(n := f"We use cookies to improve your experience on this site, see note {i}.")
        < 2**64 // 200
    )


def test_a_long_chrome_line_is_found_even_when_it_would_be_every_pages_article_key():
    """All pages one "article" would hide the notice; lines on common_docs pages of the
    site are kept out of article keys."""
    notice = _small_hash_notice()
    rng = random.Random(3)
    pages = [(f"{synthetic.article(rng, 2)}\n{notice}", "site.example") for _ in range(12)]
    assert line_hash(notice) in find_chrome(pages, CONFIG).sites["site.example"]
    no_common = Config.load(chrome={"common_docs": 1000}).chrome
    assert line_hash(notice) not in find_chrome(pages, no_common).sites.get("site.example", ())


def test_a_frame_on_one_page_of_each_shard_is_found():
    """A site's footer on 1 of 5 pages of each of 12 shards: counted over the whole corpus."""
    notice = _small_hash_notice()
    rng = random.Random(5)
    shards = [
        [("site.example", f"{synthetic.article(rng, 2)}\n{notice}")]
        + [("site.example", synthetic.article(rng, 2)) for _ in range(4)]
        for _ in range(12)
    ]
    docs = [shards[i % 12][i // 12] for i in range(60)]  # counted() deals doc i to shard i % 12
    assert line_hash(notice) in counted(docs, shards=12).sites["site.example"]


# line_norms's fast path (one lower() of a tidy text) against normalise_line line by line
TRICKY = "ΣσςİIiKẞß’‘ʼ'\u00a0\u0307\u00ad\u200b\t\r\x0b\x0c\x1c\x85\u2028\u3000 \naZ.-"
TRICKY_TEXTS = st.one_of(
    st.text(alphabet=st.sampled_from(TRICKY), max_size=40),
    st.lists(st.sampled_from(["Σ", "aΣ", "AΣ.", "’", "ab", " ", "\n", "x y", "\u00a0"])).map(
        "".join
    ),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30),
)


def _plain_norms(text: str) -> list[str]:
    return [normalise_line(line) for line in text.split("\n")]


def _really_tidy(text: str) -> bool:
    """What a tidy text is: no line changes when split on whitespace and joined again."""
    return all(" ".join(line.split()) == line for line in text.split("\n"))


@settings(max_examples=500)
@given(TRICKY_TEXTS)
@example("a\n b")
@example("a \nb")
@example(" a")
@example("a ")
@example("a  b")
@example("\n \n")
@example("aΣ\nb")
@example("aΣ’\nb")
@example("Aʼ\u00a0B\nC")
def test_line_norms_are_normalise_line_of_each_line(text):
    tidy = tidy_texts(pa.array([text]))[0]
    assert tidy is _really_tidy(text)
    assert not _tidy(text.split("\n")) or tidy  # the Python test is stricter, never wrong
    for flag in (None, tidy, False):
        assert line_norms(text, flag) == _plain_norms(text)


def test_line_norms_over_all_of_unicode():
    """Every code point (but surrogates, which Arrow's UTF-8 cannot hold) in lines that give
    str.lower() its context: a capital sigma before and after it, at a line's end and start."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    texts = [
        "\n".join(f"Σ{c}Σ a{c} {c}aΣ{c}\n{c}Σ" for c in chars[i : i + 64])
        for i in range(0, len(chars), 64)
    ]
    flags = tidy_texts(pa.array(texts))
    untidy = {chr(c) for c in whitespace()} - {"\n", " "}
    for text, tidy in zip(texts, flags, strict=True):
        assert tidy is not any(c in text for c in untidy)
        if tidy:
            assert line_norms(text, True) == _plain_norms(text), text
    for c in untidy:
        assert not tidy_texts(pa.array([f"a{c}b"]))[0] and not _tidy([f"a{c}b"])


def plain_strip(strip: ChromeStripper, text: str, site: str | None) -> tuple[str, list[str]]:
    """The stripper's rule line by line, each line hashed on its own (the text left, the
    lines removed): what its fast paths must give."""
    hashes = strip.chrome.sites.get(site) if site else None
    if not hashes:
        return text, []
    removed: list[str] = []
    out: list[str] = []
    after_gap = False
    for line in text.split("\n"):
        if not line.strip():
            if not (after_gap and (not out or not out[-1].strip())):
                out.append(line)
            continue
        if line_hash(line) in hashes:
            removed.append(line)
            after_gap = True
            continue
        after_gap = False
        out.append(line)
    if removed and after_gap:
        while out and not out[-1].strip():
            out.pop()
    return "\n".join(out), removed


CHROME_LINES = st.sampled_from([NAV, COOKIE, FOOTER, NAV.upper(), f"  {COOKIE}\t", ""])


@settings(max_examples=300)
@given(st.lists(st.one_of(CHROME_LINES, TRICKY_TEXTS), max_size=10).map("\n".join))
def test_stripper_removes_what_the_line_by_line_rule_removes(text):
    strip = PROPERTY_STRIPPER
    tidy = tidy_texts(pa.array([text]))[0]
    for flag in (None, tidy):
        cleaned = strip(text, "river.example", flag)
        assert (cleaned.text, [c.removed for c in cleaned.changes]) == plain_strip(
            strip, text, "river.example"
        )
