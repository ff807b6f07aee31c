"""Site chrome: lines that recur across many different articles of one site.

A nav menu, a cookie notice or a newsletter prompt repeats on every page of a site; a
paragraph repeated by the syndicated copies of one article does not make it chrome. So a line
is counted once per distinct *article*, not per document: each document gets an article key
(from the smallest hash of its long lines, which near-duplicate copies share with high
probability), and a line is chrome when it co-occurs with at least `min_docs` different
article keys and with at least `min_share` of the site's articles.

A line on many pages of the site must not be an article key: a long footer sentence would be
the key of every page that has it, all those pages would count as one article, and the footer
would hide itself. Which lines those are is known only over the whole corpus (a site's frame
may be on 3% of its pages: one page per shard), hence a first pass that counts pages:

Contract for a flow that runs over shards (everything here is pure: no IO, no global state):

  pass 1, per shard:  frequency = SiteLineFrequency()
                      for doc in shard: frequency.count(doc.text, doc.site)
                      frequency.to_table()                       # FREQUENCY_SCHEMA: store
  reduce:             lines = site_lines(pa.concat_tables(stored), config)   # store
  pass 2, per shard:  articles = ArticleLines(lines, config)
                      for doc in shard: articles.count(doc.text, doc.site)
                      articles.to_table()                        # ARTICLES_SCHEMA: store
  reduce:             chrome = chrome_lines(pa.concat_tables(stored), config)  # ChromeLines
  pass 3, per shard:  strip = ChromeStripper(chrome)
                      text, changes = strip(doc.text, doc.site)

`find_chrome(docs, config)` runs the passes over documents held in memory.

Count and strip the same text (the cleaned text, before dedup, is the natural choice: chrome
then does not make unrelated pages of a site near-duplicates). Documents without a site are
neither counted nor changed.

Counts are exact: the reduces are Arrow group-bys over 64-bit xxh3 hashes of normalised
lines, never strings. Pass 1 stores one row per distinct (site, line) of a shard, some
16 bytes per line of text; pass 2 only the lines that pass 1 found on `min_docs` pages (the
candidates), plus one row per document for its site's article count. A line's count depends
only on rows with its hash, so a reduce over a large corpus can run one range of hashes at a
time (`hash_ranges`), each part's rows read on their own: memory stays flat as the corpus
grows, and the result is the same as in one go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from cleaners.boilerplate import normalise_line, straight_apostrophes
from cleaners.config import ChromeConfig
from cleaners.dedup.shingles import whitespace
from cleaners.document import Change, Cleaned

# Arrow schemas of the stored tables (hashes are unsigned 64-bit)
FREQUENCY_SCHEMA = pa.schema(  # pass 1: pages of the site with the line
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("line_hash", pa.uint64(), nullable=False),
        pa.field("docs", pa.int64(), nullable=False),
    ]
)
ARTICLES_SCHEMA = pa.schema(  # pass 2: a candidate line with an article (null: the article)
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("line_hash", pa.uint64()),
        pa.field("article", pa.uint64(), nullable=False),
    ]
)
CHROME_SCHEMA = pa.schema(
    [pa.field("site", pa.string(), nullable=False), pa.field("line_hash", pa.uint64(), False)]
)


def _hash(norm: str) -> int:
    return xxhash.xxh3_64_intdigest(norm.encode("utf-8"))


def line_hash(line: str) -> int:
    """64-bit hash of the normalised line (lowercase, straight apostrophes, single spaces)."""
    return _hash(normalise_line(line))


def line_norms(text: str, tidy: bool | None = None) -> list[str]:
    """normalise_line of each line of text.split("\n") ("" for a blank one). A tidy text
    (nearly every cleaned one; `tidy` None: not known, checked here) is done in one go, 2-4x
    faster than line by line: lowercasing the whole text is lowercasing each line (a line
    break ends a final sigma's context just as a line's end does), and its lines have no
    whitespace for normalise_line to collapse."""
    if tidy is False:
        return [normalise_line(line) for line in text.split("\n")]
    lines = straight_apostrophes(text).lower().split("\n")
    if tidy or _tidy(lines):
        return lines
    return [normalise_line(line) for line in text.split("\n")]


@cache
def _untidy() -> str:
    """RE2: a space by a space, a line break or an end; or any other whitespace character."""
    other = "".join(f"\\x{{{c:x}}}" for c in whitespace() if c not in (ord("\n"), ord(" ")))
    return f"  | \\n|\\n |^ | $|[{other}]"


def tidy_texts(texts: pa.Array | pa.ChunkedArray) -> list[bool]:
    """Which of many texts are tidy (no whitespace but line breaks and single spaces between
    other characters), for `line_norms`, some 3x faster than its own check: Arrow's regex
    over the batch. Lowercasing keeps a text tidy (no lowercase mapping makes whitespace,
    and straight apostrophes only turn the no-break space into one: the tests check all of
    Unicode)."""
    return pc.invert(pc.match_substring_regex(texts, _untidy())).to_pylist()


def _tidy(lines: list[str]) -> bool:
    """A sufficient test in Python that split() and join change none of the lines: every
    whitespace character but the space is unprintable (the tests check it over Unicode)."""
    return all(
        line.isprintable() and line[:1] != " " and line[-1:] != " " and "  " not in line
        for line in lines
    )


def article_key(norms: Iterable[str], min_words: int, common: frozenset[int]) -> int:
    """From the smallest hash of the document's normalised lines of at least `min_words`
    words (of all its lines when it has none) that are not in `common` (lines on many pages
    of the site); when every one is common (copies of a widely repeated article), the
    smallest of them all. Copies of one article share it with high probability."""
    norms = [norm for norm in norms if norm]
    long = [len(norm.split()) >= min_words for norm in norms]
    return _article_key([_hash(norm) for norm in norms], long, common)


def _article_key(hashes: list[int], long: list[bool], common: frozenset[int]) -> int:
    """article_key from the lines' hashes and which lines are long."""
    candidates = [h for h, is_long in zip(hashes, long, strict=True) if is_long] or hashes
    smallest = min((h for h in candidates if h not in common), default=min(candidates, default=0))
    # hashed again: the smallest of a page's hashes leans to 0, a key need not
    return xxhash.xxh3_64_intdigest(smallest.to_bytes(8, "little"))


class SiteLineFrequency:
    """Pass 1: on how many of a shard's pages of each site each line is."""

    def __init__(self) -> None:
        self.docs: dict[str, Counter[int]] = {}

    def count(self, text: str, site: str | None, tidy: bool | None = None) -> None:
        """Add a page (`tidy`: as from `tidy_texts`, when known)."""
        if site:
            hashes = {_hash(n) for n in line_norms(text, tidy) if n}
            self.docs.setdefault(site, Counter()).update(hashes)

    def to_table(self) -> pa.Table:
        sites, hashes, docs = [], [], []
        for site, counts in sorted(self.docs.items()):
            sites += [site] * len(counts)
            hashes += counts.keys()
            docs += counts.values()
        table = pa.table({"site": sites, "line_hash": hashes, "docs": docs}, FREQUENCY_SCHEMA)
        return table.sort_by("line_hash")  # a range of hashes is a run of rows


def hash_ranges(parts: int) -> list[pc.Expression]:
    """`parts` filters on `line_hash` that split the 64-bit hashes into equal ranges (rows
    without a hash, pass 2's per-document rows, are in none)."""
    bounds = [pa.scalar((2**64 * i) // parts, pa.uint64()) for i in range(parts)]
    field = pc.field("line_hash")
    return [(field >= lo) & (field < hi) for lo, hi in pairwise(bounds)] + [field >= bounds[-1]]


ARTICLE_ROWS = pc.field("line_hash").is_null()  # pass 2's one row per document


def site_lines(frequency: pa.Table, config: ChromeConfig) -> pa.Table:
    """Reduce of pass 1 (every shard's FREQUENCY_SCHEMA rows): the lines on at least
    `common_docs` or `min_docs` pages of their site over the whole corpus, with how many."""
    totals = frequency.group_by(["site", "line_hash"]).aggregate([("docs", "sum")])
    floor = min(config.common_docs, config.min_docs)
    totals = totals.filter(pc.greater_equal(totals["docs_sum"], floor))
    table = pa.table(
        {"site": totals["site"], "line_hash": totals["line_hash"], "docs": totals["docs_sum"]},
        FREQUENCY_SCHEMA,
    )
    # group_by's order follows its threads: sorted, the same inputs give the same file
    return table.sort_by([("site", "ascending"), ("line_hash", "ascending")])


def _by_site(table: pa.Table) -> Mapping[str, frozenset[int]]:
    return ChromeLines.from_columns(table.select(["site", "line_hash"]).to_pydict()).sites


class ArticleLines:
    """Pass 2: each document's article key, and the candidate lines (on `min_docs` pages of
    the site) it has; lines on `common_docs` pages are no article keys."""

    def __init__(self, lines: pa.Table, config: ChromeConfig | None = None) -> None:
        self.config = config or ChromeConfig()
        docs = lines["docs"]
        self.common = _by_site(lines.filter(pc.greater_equal(docs, self.config.common_docs)))
        self.candidates = _by_site(lines.filter(pc.greater_equal(docs, self.config.min_docs)))
        self.rows: list[tuple[str, int | None, int]] = []

    def count(self, text: str, site: str | None, tidy: bool | None = None) -> None:
        """Add a document (`tidy`: as from `tidy_texts`, when known)."""
        if not site:
            return
        norms = [norm for norm in line_norms(text, tidy) if norm]  # for the key and the lines
        if not norms:
            return
        common = self.common.get(site, frozenset())
        hashes = [_hash(n) for n in norms]
        # a normalised line's words are one more than its spaces (most long lines have
        # enough in their first 64 characters: counting there first is faster)
        spaces = self.config.article_key_words - 1
        long = [n.count(" ", 0, 64) >= spaces or n.count(" ") >= spaces for n in norms]
        key = _article_key(hashes, long, common)
        self.rows.append((site, None, key))
        candidates = self.candidates.get(site)
        if candidates:
            self.rows += ((site, h, key) for h in candidates.intersection(hashes))

    def to_table(self) -> pa.Table:
        site, hashes, key = zip(*self.rows, strict=True) if self.rows else ((), (), ())
        table = pa.table({"site": site, "line_hash": hashes, "article": key}, ARTICLES_SCHEMA)
        return table.sort_by("line_hash")  # a range of hashes is a run of rows (nulls last)


def site_articles(articles: pa.Table) -> pa.Table:
    """Distinct articles per site, from pass 2's per-document rows (`ARTICLE_ROWS`)."""
    return (
        articles.filter(pc.is_null(articles["line_hash"]))
        .group_by("site")
        .aggregate([("article", "count_distinct")])
        .rename_columns(["site", "site_articles"])
    )


def chrome_table(
    articles: pa.Table, config: ChromeConfig, per_site: pa.Table | None = None
) -> pa.Table:
    """Reduce of pass 2 (ARTICLES_SCHEMA rows; `per_site` from `site_articles`, by default
    from the same rows): per site, the lines seen with at least `min_docs` distinct articles
    and at least `min_share` of the site's articles, as CHROME_SCHEMA rows."""
    if per_site is None:
        per_site = site_articles(articles)
    per_line = (
        articles.filter(pc.is_valid(articles["line_hash"]))
        .group_by(["site", "line_hash"])
        .aggregate([("article", "count_distinct")])
        .join(per_site, "site")
    )
    articles_n = per_line["article_count_distinct"]
    keep = pc.and_(
        pc.greater_equal(articles_n, config.min_docs),
        pc.greater_equal(
            pc.cast(articles_n, pa.float64()),
            pc.multiply(pc.cast(per_line["site_articles"], pa.float64()), config.min_share),
        ),
    )
    chrome = per_line.filter(keep).select(["site", "line_hash"]).cast(CHROME_SCHEMA)
    return chrome.sort_by([("site", "ascending"), ("line_hash", "ascending")])


def chrome_lines(articles: pa.Table, config: ChromeConfig) -> ChromeLines:
    """`chrome_table`, as the decision a ChromeStripper uses."""
    return ChromeLines.from_columns(chrome_table(articles, config).to_pydict())


def find_chrome(docs: Iterable[tuple[str, str | None]], config: ChromeConfig) -> ChromeLines:
    """All passes over (text, site) documents held in memory."""
    docs = list(docs)
    frequency = SiteLineFrequency()
    for text, site in docs:
        frequency.count(text, site)
    articles = ArticleLines(site_lines(frequency.to_table(), config), config)
    for text, site in docs:
        articles.count(text, site)
    return chrome_lines(articles.to_table(), config)


@dataclass(frozen=True)
class ChromeLines:
    """The decision: per site, the hashes of its chrome lines."""

    sites: Mapping[str, frozenset[int]]

    def to_columns(self) -> dict[str, list[Any]]:
        rows = [(s, h) for s in sorted(self.sites) for h in sorted(self.sites[s])]
        return {"site": [s for s, _ in rows], "line_hash": [h for _, h in rows]}

    @classmethod
    def from_columns(cls, columns: Mapping[str, Iterable[Any]]) -> ChromeLines:
        sites: dict[str, set[int]] = {}
        for site, h in zip(columns["site"], columns["line_hash"], strict=True):
            sites.setdefault(site, set()).add(int(h))
        return cls({s: frozenset(hs) for s, hs in sites.items()})


class ChromeStripper:
    """Removes a site's chrome lines from its documents (rule "chrome"); idempotent. A blank
    line left doubled by a removal goes too, unrecorded, so paragraphs stay one blank apart."""

    name = "chrome"

    def __init__(self, chrome: ChromeLines) -> None:
        self.chrome = chrome

    def sites(self) -> list[str]:
        """The sites with chrome lines: only their documents can change."""
        return sorted(s for s, hashes in self.chrome.sites.items() if hashes)

    def __call__(self, text: str, site: str | None, tidy: bool | None = None) -> Cleaned:
        """The text without its site's chrome (`tidy`: as from `tidy_texts`, when known)."""
        hashes = self.chrome.sites.get(site) if site else None
        if not hashes:
            return Cleaned(text, [])
        norms = line_norms(text, tidy)
        line_hashes = [_hash(norm) if norm else 0 for norm in norms]  # 0: blank
        if hashes.isdisjoint(line_hashes):  # the usual case (a chrome hash 0 is only slower)
            return Cleaned(text, [])
        changes: list[Change] = []
        out: list[str] = []
        after_gap = False
        for line, norm, h in zip(text.split("\n"), norms, line_hashes, strict=True):
            if not norm:
                if after_gap and (not out or not out[-1].strip()):
                    continue
                out.append(line)
                continue
            if h in hashes:
                changes.append(Change(self.name, line))
                after_gap = True
                continue
            after_gap = False
            out.append(line)
        if changes and after_gap:
            while out and not out[-1].strip():
                out.pop()
        return Cleaned("\n".join(out), changes)
