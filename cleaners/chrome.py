"""Site chrome: lines that recur across many different articles of one site.

A nav menu, a cookie notice or a newsletter prompt repeats on every page of a site; a
paragraph repeated by the syndicated copies of one article does not make it chrome. So a line
is counted once per distinct *article*, not per document: each document gets an article key
(the smallest hash of its long lines, a one-permutation MinHash, which near-duplicate copies
share with high probability), and a line is chrome when it co-occurs with at least `min_docs`
different article keys and with at least `min_share` of the site's articles.

A line on many pages of the site must not be an article key: a long footer sentence would be
the key of every page that has it, all those pages would count as one article, and the footer
would hide itself. Which lines those are is known only over the whole corpus (a site's frame
may be on 3% of its pages, a handful per shard), hence a first pass that counts documents:

Contract for a flow that runs over shards (everything here is pure: no IO, no global state):

  pass 1, per shard:   frequency = SiteLineFrequency(config.chrome)
                       for doc in shard: frequency.count(doc.text, doc.site)
                       pa.table(frequency.to_columns(), schema=FREQUENCY_SCHEMA)  # store
  reduce:              common = common_lines(pa.concat_tables(stored), config.chrome)
                       common.to_columns()                      # CHROME_SCHEMA, if stored
  pass 2, per shard:   counter = ChromeCounter(config.chrome)
                       counter.count_batch(((doc.text, doc.site) for doc in shard), common)
                       pa.table(counter.to_columns(), schema=COUNTS_SCHEMA)      # store
  reduce:              total = ChromeCounter.merge_all(ChromeCounter.from_columns(c, cfg) ...)
                       chrome = total.chrome_lines()            # ChromeLines
                       chrome.to_columns()                      # CHROME_SCHEMA, if stored
  pass 3, per shard:   strip = ChromeStripper(chrome)           # or ChromeLines.from_columns
                       text, changes = strip(doc.text, doc.site)

count_batch without `common` keeps out of the keys the lines that `common_docs` documents of
a site share within the batch instead: right when the whole corpus is one batch in memory.

Count and strip the same text (the cleaned text, before dedup, is the natural choice: chrome
then does not make unrelated pages of a site near-duplicates). Documents without a site are
neither counted nor changed.

Memory: lines are 64-bit xxh3 hashes of the normalised line, never strings. For each (site,
line) the counter keeps at most `sketch_size` article keys (the smallest: a KMV sketch, exact
below `sketch_size` distinct articles, an estimate above), and per site the same sketch of its
articles. A shard drops the lines that only one of its articles (in pass 1: of its
documents) has (`prune` on): those are
the page's own text, the bulk of all lines, and cannot be chrome unless the site's other
pages fall in other shards. So the state is O(sites x recurring lines x sketch_size), not
O(documents). The cost of pruning: a site needs two pages with the line in one shard for the
line to be counted there (sites spread one page per shard are missed; shard by site, or set
`prune = false`, if that matters).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from cleaners.boilerplate import normalise_line
from cleaners.config import ChromeConfig
from cleaners.document import Change, Cleaned

_SPACE = 2.0**64
SITE_ROW = None  # line_hash of the row that holds a site's own article sketch

# Arrow schemas of to_columns() (hashes are unsigned 64-bit): pa.table(columns, schema=...)
FREQUENCY_SCHEMA = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("line_hash", pa.uint64(), nullable=False),
        pa.field("docs", pa.int64(), nullable=False),
    ]
)
COUNTS_SCHEMA = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),
        pa.field("line_hash", pa.uint64()),
        pa.field("keys", pa.list_(pa.uint64()), nullable=False),
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


def article_key(lines: Iterable[str], min_words: int, common: frozenset[int] = frozenset()) -> int:
    """Smallest hash of the document's lines of at least `min_words` words (of all its lines
    when it has none) that are not in `common` (lines on many pages of the site); when every
    one is common (copies of a widely repeated article), the smallest of them all. Copies of
    one article share it with high probability."""
    long: list[int] = []
    other: list[int] = []
    for line in lines:
        norm = normalise_line(line)
        if norm:
            (long if len(norm.split()) >= min_words else other).append(_hash(norm))
    candidates = long or other
    smallest = min((h for h in candidates if h not in common), default=min(candidates, default=0))
    # hashed again: the smallest of a page's hashes is not uniform (it leans to 0), and the
    # KMV sketches that count articles assume uniform values
    return xxhash.xxh3_64_intdigest(smallest.to_bytes(8, "little"))


class SiteLineFrequency:
    """Pass 1: on how many documents of each site each line is (one shard's counts; the
    shards' tables add up in common_lines)."""

    def __init__(self, config: ChromeConfig | None = None) -> None:
        self.config = config or ChromeConfig()
        self.docs: dict[str, Counter[int]] = {}

    def count(self, text: str, site: str | None) -> None:
        if site:
            self.docs.setdefault(site, Counter()).update(
                {line_hash(line) for line in text.split("\n") if line.strip()}
            )

    def common(self) -> dict[str, frozenset[int]]:
        """Per site, the lines on at least `common_docs` of the counted documents."""
        n = self.config.common_docs
        return {
            site: frozenset(h for h, docs in counts.items() if docs >= n)
            for site, counts in self.docs.items()
        }

    def to_columns(self) -> dict[str, list[Any]]:
        """site, line_hash, docs (FREQUENCY_SCHEMA); with `prune`, not the lines of one page."""
        floor = 2 if self.config.prune else 1
        rows = [
            (site, h, n)
            for site in sorted(self.docs)
            for h, n in sorted(self.docs[site].items())
            if n >= floor
        ]
        return {name: [row[i] for row in rows] for i, name in enumerate(FREQUENCY_SCHEMA.names)}


def common_lines(frequency: pa.Table, config: ChromeConfig) -> ChromeLines:
    """Reduce of pass 1 (`frequency`: every shard's FREQUENCY_SCHEMA rows): per site, the
    lines on at least `common_docs` of its documents in the whole corpus."""
    totals = frequency.group_by(["site", "line_hash"]).aggregate([("docs", "sum")])
    totals = totals.filter(pc.greater_equal(totals["docs_sum"], config.common_docs))
    return ChromeLines.from_columns(totals.select(["site", "line_hash"]).to_pydict())


def _union(a: list[int], b: Iterable[int], k: int) -> list[int]:
    """The k smallest distinct values of two sketches, sorted."""
    return heapq.nsmallest(k, set(a).union(b))


def _distinct(sketch: list[int], k: int) -> float:
    """Distinct articles a KMV sketch stands for: exact below k values, estimated at k."""
    if len(sketch) < k:
        return float(len(sketch))
    return (k - 1) * _SPACE / (sketch[k - 1] + 1)


@dataclass
class ChromeCounter:
    """Per-shard counts of normalised lines per site, mergeable across shards."""

    config: ChromeConfig = field(default_factory=ChromeConfig)
    lines: dict[str, dict[int, list[int]]] = field(default_factory=dict)  # site -> hash -> keys
    articles: dict[str, list[int]] = field(default_factory=dict)  # site -> article keys
    _pending: dict[str, dict[int, set[int]]] = field(default_factory=dict, repr=False)

    def count_batch(
        self,
        docs: Iterable[tuple[str, str | None]],
        common: ChromeLines | None = None,
    ) -> None:
        """Add (text, site) documents. Lines in `common` (pass 1's common_lines) stay out of
        article keys; without it, the lines `common_docs` documents of a site in this batch
        share do (see article_key)."""
        docs = [(text, site) for text, site in docs if site]
        if common is None:
            frequency = SiteLineFrequency(self.config)
            for text, site in docs:
                frequency.count(text, site)
            common = ChromeLines(frequency.common())
        for text, site in docs:
            self.count(text, site, common.sites.get(site, frozenset()))

    def count(self, text: str, site: str | None, common: frozenset[int] = frozenset()) -> None:
        """Add one document; a document without a site is not counted."""
        if not site:
            return
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return
        key = article_key(lines, self.config.article_key_words, common)
        k = self.config.sketch_size
        self.articles[site] = _union(self.articles.get(site, []), [key], k)
        pending = self._pending.setdefault(site, {})
        for h in {line_hash(line) for line in lines}:
            keys = pending.setdefault(h, set())
            if len(keys) < k or key < max(keys):
                keys.add(key)
                if len(keys) > k:
                    keys.remove(max(keys))

    def _settle(self) -> None:
        """Move counted lines into `lines`, dropping those only one article has (prune)."""
        k = self.config.sketch_size
        for site, pending in self._pending.items():
            settled = self.lines.setdefault(site, {})
            for h, keys in pending.items():
                if self.config.prune and len(keys) < 2 and h not in settled:
                    continue
                settled[h] = _union(settled.get(h, []), keys, k)
        self._pending.clear()

    def merge(self, other: ChromeCounter) -> ChromeCounter:
        """A new counter holding both (self and other are left as they are)."""
        self._settle()
        other._settle()
        k = self.config.sketch_size
        merged = ChromeCounter(self.config)
        for source in (self, other):
            for site, keys in source.articles.items():
                merged.articles[site] = _union(merged.articles.get(site, []), keys, k)
            for site, lines in source.lines.items():
                target = merged.lines.setdefault(site, {})
                for h, keys in lines.items():
                    target[h] = _union(target.get(h, []), keys, k)
        return merged

    @classmethod
    def merge_all(cls, counters: Iterable[ChromeCounter]) -> ChromeCounter:
        total: ChromeCounter | None = None
        for counter in counters:
            total = counter if total is None else total.merge(counter)
        return total if total is not None else cls()

    def to_columns(self) -> dict[str, list[Any]]:
        """Plain columns for Parquet: site (string), line_hash (uint64; null for the row of
        the site's own article sketch), keys (list<uint64>: the KMV sketch)."""
        self._settle()
        site: list[str] = []
        hashes: list[int | None] = []
        keys: list[list[int]] = []
        for name in sorted(self.articles):
            site.append(name)
            hashes.append(SITE_ROW)
            keys.append(self.articles[name])
            for h, sketch in sorted(self.lines.get(name, {}).items()):
                site.append(name)
                hashes.append(h)
                keys.append(sketch)
        return {"site": site, "line_hash": hashes, "keys": keys}

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Iterable[Any]], config: ChromeConfig | None = None
    ) -> ChromeCounter:
        counter = cls(config or ChromeConfig())
        for name, h, sketch in zip(
            columns["site"], columns["line_hash"], columns["keys"], strict=True
        ):
            values = sorted(int(v) for v in sketch)
            if h is SITE_ROW:
                counter.articles[name] = values
            else:
                counter.lines.setdefault(name, {})[int(h)] = values
        return counter

    def chrome_lines(self) -> ChromeLines:
        """Decide: per site, the lines seen with at least min_docs distinct articles and at
        least min_share of the site's articles."""
        self._settle()
        cfg, k = self.config, self.config.sketch_size
        chrome: dict[str, frozenset[int]] = {}
        for site, lines in self.lines.items():
            site_articles = _distinct(self.articles.get(site, []), k)
            found = frozenset(
                h
                for h, keys in lines.items()
                if len(keys) >= cfg.min_docs and _distinct(keys, k) >= cfg.min_share * site_articles
            )
            if found:
                chrome[site] = found
        return ChromeLines(chrome)


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

    def __call__(self, text: str, site: str | None) -> Cleaned:
        hashes = self.chrome.sites.get(site) if site else None
        if not hashes:
            return Cleaned(text, [])
        changes: list[Change] = []
        out: list[str] = []
        after_gap = False
        for line in text.split("\n"):
            if not line.strip():
                if after_gap and (not out or not out[-1].strip()):
                    continue
                out.append(line)
                continue
            if line_hash(line) in hashes:
                changes.append(Change(self.name, line))
                after_gap = True
                continue
            after_gap = False
            out.append(line)
        if changes and after_gap:
            while out and not out[-1].strip():
                out.pop()
        return Cleaned("\n".join(out), changes)
