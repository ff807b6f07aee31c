"""Site chrome: lines recurring across many different articles of one site go; a line that
only the copies of one article repeat stays; documents without a site are untouched."""

import random
from collections import defaultdict

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import normalise_line
from cleaners.chrome import (
    CHROME_SCHEMA,
    COUNTS_SCHEMA,
    FREQUENCY_SCHEMA,
    ChromeCounter,
    ChromeLines,
    ChromeStripper,
    SiteLineFrequency,
    _distinct,
    common_lines,
    line_hash,
)
from cleaners.config import Config
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


def counted(docs, shards=3):
    counters = [ChromeCounter(CONFIG) for _ in range(shards)]
    for i, (site, text) in enumerate(docs):
        counters[i % shards].count(text, site)
    # through Parquet-able columns, as the flow stores them between tasks
    restored = [
        ChromeCounter.from_columns(
            pa.table(c.to_columns(), schema=COUNTS_SCHEMA).to_pydict(), CONFIG
        )
        for c in counters
    ]
    return ChromeCounter.merge_all(restored).chrome_lines()


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
    counter = ChromeCounter(CONFIG)
    for _ in range(10):
        counter.count(page(["Nothing here."]), None)
    assert counter.to_columns()["site"] == []
    assert ChromeStripper(chrome)(docs[0][1], None).text == docs[0][1]


def test_merge_is_order_free_and_equals_one_counter():
    docs, _ = site_corpus()
    one = ChromeCounter(CONFIG)
    for site, text in docs:
        one.count(text, site)
    assert counted(docs, shards=1) == one.chrome_lines() == counted(docs, shards=4)
    stored = pa.table(one.chrome_lines().to_columns(), schema=CHROME_SCHEMA).to_pydict()
    assert ChromeLines.from_columns(stored) == one.chrome_lines()


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
        counter = ChromeCounter(config)
        for site, text in docs:
            counter.count(text, site)
        found = counter.chrome_lines().sites.get("big.example", set())
        assert (line_hash(NAV) in found) is chrome, min_share


def test_a_sites_articles_are_counted_about_right():
    """The site's article sketch estimates how many articles it has (KMV above sketch_size):
    the keys must be uniform hashes for that, not the smallest of each page's line hashes."""
    rng = random.Random(11)
    counter = ChromeCounter(CONFIG)
    for n in range(400):
        counter.count("\n".join(article(rng, n)), "big.example")
    counter._settle()
    estimate = _distinct(counter.articles["big.example"], CONFIG.sketch_size)
    assert 300 < estimate < 530


def test_line_frequency_adds_up_across_shards_like_one_batch():
    """Pass 1 stored per shard and added up equals one count over everything (lines on one
    page of a shard are pruned there, so pages of a site come two per shard here)."""
    docs, _ = site_corpus()
    docs = sorted(docs)  # a site's pages next to each other
    one = SiteLineFrequency(CONFIG)
    tables = []
    for start in range(0, len(docs), 4):
        shard = SiteLineFrequency(CONFIG)
        for site, text in docs[start : start + 4]:
            shard.count(text, site)
            one.count(text, site)
        tables.append(pa.table(shard.to_columns(), schema=FREQUENCY_SCHEMA))
    assert common_lines(pa.concat_tables(tables), CONFIG) == ChromeLines(
        {site: hashes for site, hashes in one.common().items() if hashes}
    )
    common = one.common()["river.example"]
    assert {line_hash(NAV), line_hash(COOKIE), line_hash(FOOTER)} <= common
    assert line_hash(docs[0][1].split("\n")[2]) not in common  # an article's own line


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
    """All pages one "article" would hide the notice; count_batch keeps site-frequent lines
    out of keys."""
    notice = _small_hash_notice()
    rng = random.Random(3)
    pages = [(f"{synthetic.article(rng, 2)}\n{notice}", "site.example") for _ in range(12)]
    counter = ChromeCounter(CONFIG)
    counter.count_batch(pages)
    assert line_hash(notice) in counter.chrome_lines().sites["site.example"]


def test_a_frame_on_few_pages_of_each_shard_needs_the_corpus_wide_first_pass():
    """The notice is on 2 pages in each of 6 shards: too few in any one shard to be kept out
    of the article keys there, so without pass 1 its pages count as one article and it stays;
    with common_lines over all shards it is found."""
    notice = _small_hash_notice()
    rng = random.Random(5)
    shards = [
        [(f"{synthetic.article(rng, 2)}\n{notice}", "site.example") for _ in range(2)]
        + [(synthetic.article(rng, 2), "site.example") for _ in range(4)]
        for _ in range(6)
    ]

    def chrome(common):
        counters = []
        for shard in shards:
            counters.append(ChromeCounter(CONFIG))
            counters[-1].count_batch(shard, common)
        return ChromeCounter.merge_all(counters).chrome_lines().sites.get("site.example", ())

    assert line_hash(notice) not in chrome(None)
    frequencies = []
    for shard in shards:
        frequency = SiteLineFrequency(CONFIG)
        for text, site in shard:
            frequency.count(text, site)
        frequencies.append(pa.table(frequency.to_columns(), schema=FREQUENCY_SCHEMA))
    common = common_lines(pa.concat_tables(frequencies), CONFIG)
    assert line_hash(notice) in common.sites["site.example"]
    assert line_hash(notice) in chrome(common)
