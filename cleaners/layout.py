"""Where the article is on the page: context and position rules for whole lines.

A scraped page is chrome, then the article, then more chrome. Every line gets a prose score
(`line_features.prose_score`); a run of negative lines costs more per line the longer it
runs (a menu is a long run of short lines; a heading between paragraphs is one). The
article is the stretch of lines with the highest total score (Kadane's maximum subarray),
plus any further stretch scoring at least a share of it (a second part after an ad block).

Around that content, named rules remove the rest:
  boilerplate.top_block     lines above the article (menus, breadcrumbs, a page-title line)
  boilerplate.bottom_block  lines below it (related posts, comment forms, footers)
  boilerplate.menu_block    a run of chrome between two parts of the article
  boilerplate.footer_block  from a footer heading ("Comments", "Related posts") down, once
                            most of the article is above it (comments, teasers, forms)
  boilerplate.menu_run      on a page without a clear article (best stretch under
                            `min_article_score`), only runs of `weak_run_lines` chrome-like
                            lines outside that stretch (menus, link lists); nothing else
The top boundary moves up to the line that repeats the page title (the first line of a
scraped page is its <title>, and the article starts at its heading), or else keeps a few
heading lines directly above the first paragraph. A line that reads as a sentence is not
removed by these rules, except below the article past a line that is neither (the footer:
newsletter prompts, author bios, legal notices); documents shorter than `min_lines` are left
alone, and so are pages whose best stretch scores under `weak_article_score` (a poem, a
list, a form): without enough context, keeping a line is the safe choice. Glued lists of
quantities or "label: value" lines (ingredients, a fact box) weigh nothing either way.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Sequence
from functools import lru_cache
from itertools import pairwise

from cleaners.config import LayoutConfig
from cleaners.line_features import line_scores, reads_as_prose, words

TOP, BOTTOM, MENU = "boilerplate.top_block", "boilerplate.bottom_block", "boilerplate.menu_block"
FOOTER = "boilerplate.footer_block"
MENU_RUN = "boilerplate.menu_run"
_QUANTITY = re.compile(r"\s*\d[\d.,/½¼¾]*\s*[^\W\d_]")
# "Label: value" ("Farbe: grün", "Brennweite in mm: 180"): a line of a fact box
_KEY_VALUE = re.compile(r"\s*[^\W\d_][^:|·•»]{0,30}:\s+\S")
_TITLE_PARTS = re.compile(r"\s+[-|–—:·»]+\s+")
_LINE_CACHE = 8192  # distinct lines whose answers are kept (each pass asks again)


def layout_rules(
    lines: Sequence[str],
    config: LayoutConfig,
    stopwords: frozenset[str] | None = None,
    memo: dict[str, float] | None = None,
    prose_memo: dict[str, bool] | None = None,
    footer_heads: Collection[int] = (),
) -> dict[int, str]:
    """Index -> rule name of every line outside the article's content. `footer_heads` are
    the indices of lines that open a page's footer ("Comments", "Related posts"). (`stopwords`,
    `memo` and `prose_memo` spare a caller that asks again about the same page: see
    line_scores.)"""
    rows = [i for i, line in enumerate(lines) if line.strip()]
    if not config.enabled or len(rows) < config.min_lines:
        return {}
    nonblank = [lines[i] for i in rows]
    scores = _list_items(rows, line_scores(nonblank, config, stopwords, memo), config)
    scores, data_rows = _quantity_lists(rows, nonblank, scores, config)
    penalised = _run_penalty(scores, config)
    segments = content_segments(penalised, config)
    best = max((_total(penalised, s) for s in segments), default=0.0)
    if not segments or best < min(config.min_article_score, config.weak_article_score):
        return {}  # no article at all (a poem, a list, a form): keep the page
    prose_memo = {} if prose_memo is None else prose_memo
    prose = []
    for i in rows:
        known = prose_memo.get(lines[i])
        if known is None:
            known = prose_memo[lines[i]] = reads_as_prose(lines[i], config)
        prose.append(known)
    heads = {bisect_left(rows, i) for i in footer_heads} - {len(rows)}  # a blank: the next line
    cut = _footer_cut(scores, prose, segments, heads, config) if heads else None
    if cut is not None:
        segments = [(start, min(end, cut - 1)) for start, end in segments if start < cut]
    # a fact box or an ingredient list right below the article's last part is the article's
    end = segments[-1][1]
    while end + 1 in data_rows and (cut is None or end + 1 < cut):
        end += 1
    segments[-1] = (segments[-1][0], end)
    kept = {k for start, end in segments for k in range(start, end + 1)}
    for (_, end), (start, _) in pairwise(segments):
        if start - end - 1 < config.menu_min_lines:  # a heading, a short list: the article's
            kept.update(range(end + 1, start))
    first, last = segments[0][0], segments[-1][1]
    top = _title_anchor(lines, rows, first, config)
    if top is None:
        top = first
        while (
            top > 0 and first - top < config.head_lines and _heading(rows, scores, top - 1, config)
        ):
            top -= 1
    kept.update(range(top, first))
    # below the article, past the first line that is not a sentence, sentences are chrome
    # too: newsletter prompts, author bios, legal notices under a footer menu
    footer = next((k for k in range(last + 1, len(rows)) if not prose[k]), len(rows))
    if cut is not None:
        footer = min(footer, cut)
    doomed: dict[int, str] = {}
    for k, i in enumerate(rows):
        if k in kept or (prose[k] and k < footer):
            continue
        if cut is not None and k >= cut:
            doomed[i] = FOOTER
        else:
            doomed[i] = TOP if k < top else BOTTOM if k > last else MENU
    if best < config.min_article_score:
        return _chrome_runs(rows, scores, doomed, config.weak_run_lines)
    return doomed


def _chrome_runs(
    rows: Sequence[int], scores: Sequence[float], doomed: dict[int, str], min_run: int
) -> dict[int, str]:
    """On a page without a clear article, of the lines outside its best stretch only runs
    of `min_run` chrome-like lines in a row go (menus, link lists, share bars): with so little
    article to judge by, a shorter block may be its data (a fact box, a list of dates)."""
    out: dict[int, str] = {}
    run: list[int] = []
    for k, i in enumerate(rows):
        if i in doomed and scores[k] < 0:
            run.append(i)
            continue
        if len(run) >= min_run:
            out.update(dict.fromkeys(run, MENU_RUN))
        run = []
    if len(run) >= min_run:
        out.update(dict.fromkeys(run, MENU_RUN))
    return out


def _footer_cut(
    scores: Sequence[float],
    prose: Sequence[bool],
    segments: Sequence[tuple[int, int]],
    heads: Collection[int],
    config: LayoutConfig,
) -> int | None:
    """The first footer heading with at least `footer_share` of the article's prose above it,
    and below it at least `footer_chrome_share` of lines that are not sentences (names and
    dates of comments, teaser titles): the article ends there. A heading higher up is a box
    inside the article or the page's header; one followed by sentences only is the article's."""
    first, last = segments[0][0], segments[-1][1]
    total = sum(max(scores[k], 0.0) for k in range(first, last + 1))
    above = 0.0
    for k in range(first, len(scores)):
        if k in heads and above > 0 and above >= config.footer_share * total:
            below = prose[k + 1 :]
            if below and below.count(False) >= config.footer_chrome_share * len(below):
                return k
        above += max(scores[k], 0.0) if k <= last else 0.0
    return None


def _heading(rows: Sequence[int], scores: Sequence[float], k: int, config: LayoutConfig) -> bool:
    """A line on its own above the article, not a separator line nor an item of a list (a
    line with chrome-like lines right above it, with no blank line between)."""
    if scores[k] <= config.separator_score:
        return False
    return k == 0 or rows[k] - rows[k - 1] > 1 or scores[k - 1] >= 0


def content_segments(scores: Sequence[float], config: LayoutConfig) -> list[tuple[int, int]]:
    """The best-scoring stretch, then recursively the best stretch left of it and right of it
    while they score at least max(min_segment_score, min_segment_share * best); sorted."""
    best = _best_stretch(scores, 0, len(scores))
    if best is None:
        return []
    threshold = max(config.min_segment_score, config.min_segment_share * best[0])
    found = [best[1:]]
    pending = [(0, best[1]), (best[2] + 1, len(scores))]
    while pending:
        lo, hi = pending.pop()
        stretch = _best_stretch(scores, lo, hi)
        if stretch is None or stretch[0] < threshold:
            continue
        _, start, end = stretch
        found.append((start, end))
        pending += [(lo, start), (end + 1, hi)]
    return sorted(found)


def _total(scores: Sequence[float], segment: tuple[int, int]) -> float:
    return sum(scores[segment[0] : segment[1] + 1])


def _best_stretch(scores: Sequence[float], lo: int, hi: int) -> tuple[float, int, int] | None:
    """Kadane: (total, first, last) of the highest-scoring run in scores[lo:hi], if positive."""
    best: tuple[float, int, int] | None = None
    total, start = 0.0, lo
    for k in range(lo, hi):
        if total <= 0:
            total, start = 0.0, k
        total += scores[k]
        if total > 0 and (best is None or total > best[0]):
            best = (total, start, k)
    return best


def _list_items(rows: Sequence[int], scores: list[float], config: LayoutConfig) -> list[float]:
    """Chrome-like lines glued to one another (no blank line between: the items of a list,
    where scraped text keeps blocks apart with blank lines) weigh `list_factor` times more."""
    out = list(scores)
    for k, score in enumerate(scores):
        if score >= 0:
            continue
        above = k > 0 and rows[k] - rows[k - 1] == 1 and scores[k - 1] < 0
        below = k + 1 < len(rows) and rows[k + 1] - rows[k] == 1 and scores[k + 1] < 0
        if above or below:
            out[k] = score * config.list_factor
    return out


def _quantity_lists(
    rows: Sequence[int], lines: Sequence[str], scores: list[float], config: LayoutConfig
) -> tuple[list[float], set[int]]:
    """A run of `quantity_run` glued lines that each start with a number and a word ("350 g
    sugar", "2 eggs", "8 g protein") or read "label: value" ("Farbe: grün", "Penetration:
    220 - 250") is a list of the article's (ingredients, specifications, a fact box), not a
    menu: its lines weigh nothing either way. Also returns the positions of those lines."""
    out = list(scores)
    items: set[int] = set()
    is_item = [*map(_data_item, lines), False]
    if sum(is_item) < config.quantity_run:  # most pages: no run can be long enough
        return out, items
    run: list[int] = []
    for k in range(len(rows) + 1):
        item = is_item[k]
        if item and (not run or rows[k] - rows[run[-1]] == 1):
            run.append(k)
            continue
        if len(run) >= config.quantity_run:
            for j in run:
                out[j] = max(out[j], 0.0)
            items.update(run)
        run = [k] if item else []
    return out, items


@lru_cache(maxsize=_LINE_CACHE)
def _data_item(line: str) -> bool:
    """A quantity ("350 g sugar") or a label with its value ("Brennweite in mm: 180")."""
    return _QUANTITY.match(line) is not None or _KEY_VALUE.match(line) is not None


def _run_penalty(scores: Sequence[float], config: LayoutConfig) -> list[float]:
    """Negative lines beyond the first `run_free` of a run cost more, growing with the run."""
    free, growth = config.run_free, config.run_growth
    out, run = [], 0
    for score in scores:
        if score < 0:
            run += 1
            out.append(score * (1 + max(0, run - free) * growth))
        else:
            run = 0
            out.append(score)
    return out


def _title_anchor(
    lines: Sequence[str], rows: Sequence[int], first: int, config: LayoutConfig
) -> int | None:
    """Position (in rows) of the last line above the content that repeats the page title,
    the first line of the page or a part of it ("Title - Site Name")."""
    title = lines[rows[0]]
    parts = {_normal(p) for p in [title, *_TITLE_PARTS.split(title)]}
    parts = {p for p in parts if len(p.split()) >= config.title_anchor_words}
    if not parts:
        return None
    anchor = None
    for k in range(1, first):
        line = _normal(lines[rows[k]])
        if not line:
            continue
        long_enough = len(line.split()) >= config.title_anchor_words
        if any(line == p or (long_enough and (line in p or p in line)) for p in parts):
            anchor = k
    return anchor


@lru_cache(maxsize=_LINE_CACHE)
def _normal(line: str) -> str:
    return " ".join(words(line.lower()))
