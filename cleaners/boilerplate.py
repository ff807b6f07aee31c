"""Web boilerplate that survives as whole lines of scraped text: comment forms, widgets, share
bars, footers, a trailing tag-spam line, a slug line repeating the title, runs of blank lines,
and (layout.py) the menus, headers and footers around the article, judged by context.

Every rule looks at whole lines and removes whole lines; a sentence that merely mentions a
phrase ("Leave a reply below, said the editor.") is prose and stays.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from cleaners.config import BoilerplateConfig, Config
from cleaners.document import Change, Cleaned
from cleaners.layout import layout_rules
from cleaners.line_features import (
    line_scores,
    lower_words,
    page_stopwords,
    prime_line_facts,
    word_count,
    words,
    words_used,
)
from cleaners.rule_lists import AnyOf

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " "}
_SENTENCE_END = re.compile(r"[.!?…:;\"”»)]\s*$")
# Frequent English function words: keyword lines have (almost) none, prose is full of them.
FUNCTION_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your""".split()
)


def normalise_line(line: str) -> str:
    """Lowercase, straight apostrophes, single spaces: the form phrase rules compare."""
    if line.isascii() and line.isprintable() and "  " not in line and line[:1] != " " != line[-1:]:
        return line.lower()  # already single-spaced: no whitespace but " " (isprintable), trimmed
    return " ".join(straight_apostrophes(line).lower().split())


def straight_apostrophes(line: str) -> str:
    """line.translate(_APOSTROPHES), some 30 times faster: one str.replace per character
    (none of them is another's replacement, so the order does not matter)."""
    if line.isascii():
        return line
    for curly, straight in _APOSTROPHES.items():
        line = line.replace(curly, straight)
    return line


class BoilerplateStripper:
    """Removes boilerplate lines by the rules of a BoilerplateConfig; idempotent (it repeats
    until no rule fires, since one removal can expose the next trailing line)."""

    name = "boilerplate"

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        # without a config, the shipped rules (a bare BoilerplateConfig has no rule lists)
        self.config = config = config or Config.load().boilerplate
        self._phrase_line = _phrase_regex([*config.phrases, *config.extra_phrases])
        self._patterns = AnyOf(
            [*config.patterns, *config.extra_patterns], re.IGNORECASE, lowercase=True
        )
        self._widget_headers = {normalise_line(h) for h in config.widget_headers}
        self._widget_labels = {normalise_line(label) for label in config.widget_labels}
        self._footer_heading = _phrase_regex(config.footer_headings, sep=r"[\W\d_]*")
        self._footer_patterns = [re.compile(p, re.IGNORECASE) for p in config.footer_patterns]
        self._captions = AnyOf(config.caption_patterns)
        self._prompts = AnyOf(config.prompt_patterns, re.IGNORECASE, lowercase=True)
        self._notices = AnyOf(config.notice_patterns, re.IGNORECASE, lowercase=True)
        self._memos = _LineMemos()

    def __call__(self, text: str, title: str | None = None, layout: bool = True) -> Cleaned:
        """`layout=False` skips the context and position rules (layout.py): for text whose
        layout an extractor already judged (trafilatura on HTML)."""
        changes: list[Change] = []
        lines = text.split("\n")
        if layout:  # the layout rules ask about every line: the new lines' words at once
            prime_line_facts(lines)
        if self._memos.size() > _MEMO_LINES:
            self._memos = _LineMemos()
        memos = self._memos
        self._learn_lines(lines, memos, layout)
        while True:
            kept = self._strip_once(lines, title, changes, layout, memos)
            if len(kept) == len(lines):
                break
            lines = kept
        lines = self._squeeze_blank_lines(lines, changes)
        return Cleaned("\n".join(lines), changes)

    def _strip_once(
        self,
        lines: list[str],
        title: str | None,
        changes: list[Change],
        layout: bool,
        memos: _LineMemos,
    ) -> list[str]:
        doomed: dict[int, str] = {}
        in_widget = False
        for i, line in enumerate(lines):
            norm, rule = self._norm_and_rule(line, memos, layout)
            if not norm:
                continue
            if in_widget and _strip_count(norm) in self._widget_labels:
                doomed[i] = "boilerplate.widget"
                continue
            in_widget = norm in self._widget_headers
            if rule:
                doomed[i] = rule
        if layout and self.config.layout.enabled:  # it weighs the lines around (context)
            for i in self._prompt_lines(lines, doomed, memos):
                doomed[i] = "boilerplate.prompt"
        if self.config.slug.enabled:
            for i in _slug_lines(lines, title, self.config.slug.min_parts):
                doomed.setdefault(i, "boilerplate.slug")
        if self.config.tag_spam.enabled:
            i = _last_content_line(lines, doomed)
            if i is not None and self._is_tag_spam(lines, i, doomed):
                doomed[i] = "boilerplate.tag_spam"
        if layout and self.config.layout.enabled:
            rows = [i for i in range(len(lines)) if i not in doomed]
            candidates = [lines[i] for i in rows]
            stopwords = page_stopwords(candidates)
            scores = memos.scores.setdefault(stopwords, {})
            # a heading a phrase rule removed still opens the footer: at the next line kept
            opens = [i for i, line in enumerate(lines) if self._opens_footer(line, memos)]
            heads = {bisect_left(rows, i) for i in opens} - {len(rows)}
            found = layout_rules(
                candidates, self.config.layout, stopwords, scores, memos.prose, heads
            )
            doomed.update((rows[k], rule) for k, rule in found.items())
        changes.extend(Change(doomed[i], lines[i]) for i in sorted(doomed))
        return [line for i, line in enumerate(lines) if i not in doomed]

    def _norm_and_rule(
        self, line: str, memos: _LineMemos, layout: bool = True
    ) -> tuple[str, str | None]:
        """The line normalised, and the phrase or pattern rule it falls under (memoised; the
        same answers with `layout` or without, which only says whether the layout rules
        will want the line's facts anyway)."""
        known = memos.line_rules.get(line)
        if known is None:
            self._learn_lines([line], memos, layout)
            known = memos.line_rules[line]
        return known

    def _learn_lines(self, lines: Sequence[str], memos: _LineMemos, layout: bool) -> None:
        """_norm_and_rule's answers for the lines it does not know yet, rule by rule over all
        of them at once: each rule list searches them in one batch (search_many: one
        Hyperscan scan for the ASCII lines), and a line a rule takes is not asked the next."""
        known = memos.line_rules
        new = [line for line in dict.fromkeys(lines) if line not in known]
        if not new:
            return
        norms = [normalise_line(line) for line in new]
        rules: list[str | None] = [None] * len(new)
        left = [k for k, norm in enumerate(norms) if norm]
        if self._phrase_line is not None:  # cheap in re: a line's first words rule most out
            phrases = [bool(self._phrase_line.fullmatch(norms[k])) for k in left]
            left = _take(left, rules, "boilerplate.phrase", phrases)
        patterns = self._patterns.search_many([norms[k] for k in left])
        left = _take(left, rules, "boilerplate.pattern", patterns)
        captions = self._are_captions([new[k] for k in left], layout)
        left = _take(left, rules, "boilerplate.caption", captions)
        # a site notice written as a sentence (a licence, an affiliate disclosure, a cookie or
        # browser notice) is short: at most notice_max_words, words - 1 spaces in a norm
        short = [k for k in left if norms[k].count(" ") < self.config.notice_max_words]
        notices = self._notices.search_many([norms[k] for k in short])
        _take(short, rules, "boilerplate.notice", notices)
        known.update(zip(new, zip(norms, rules, strict=True), strict=True))

    def _are_captions(self, lines: Sequence[str], facts: bool) -> list[bool]:
        """Image captions ending with their credit ("The minister in Berlin. © dpa"), or
        credit lines ("Photograph by Jane Doe"): short, with a caption pattern. Without
        `facts` (no layout rules to use them) the patterns go first, and only the lines they
        match have their words counted (line_facts would work out all of their facts)."""
        most = self.config.caption_max_words
        if not facts:
            stripped = [line.strip() for line in lines]
            found = self._captions.search_many(stripped)
            pairs = zip(found, stripped, strict=True)
            return [hit and len(words(line)) <= most for hit, line in pairs]
        short = [k for k, line in enumerate(lines) if word_count(line) <= most]
        out = [False] * len(lines)
        found = self._captions.search_many([lines[k].strip() for k in short])
        for k, hit in zip(short, found, strict=True):
            out[k] = hit
        return out

    def _prompt_lines(
        self, lines: list[str], doomed: dict[int, str], memos: _LineMemos
    ) -> list[int]:
        """Newsletter and subscription prompts: short lines with a prompt pattern, unless a
        line of a paragraph's length sits between two paragraphs (an article about them)."""
        if not self.config.prompt_patterns:
            return []
        rows = [i for i, line in enumerate(lines) if i not in doomed and line.strip()]
        self._learn_prompts([lines[i] for i in rows], memos)
        found = [k for k, i in enumerate(rows) if memos.prompt[lines[i]]]
        if not found:
            return []
        candidates = [lines[i] for i in rows]
        layout = self.config.layout
        stopwords = page_stopwords(candidates)
        scores = line_scores(candidates, layout, stopwords, memos.scores.setdefault(stopwords, {}))
        paragraph = self.config.prompt_paragraph_score
        out = []
        for k in found:
            inside = 0 < k < len(rows) - 1 and min(scores[k - 1], scores[k + 1]) >= paragraph
            if inside and word_count(candidates[k]) >= layout.prose_words:
                continue
            out.append(rows[k])
        return out

    def _learn_prompts(self, lines: Sequence[str], memos: _LineMemos) -> None:
        """Which of the lines not known yet are prompts by their words: short, with a
        prompt pattern in the normalised line (searched in one batch)."""
        new = [line for line in dict.fromkeys(lines) if line not in memos.prompt]
        most = self.config.prompt_max_words
        short = [line for line in new if word_count(line) <= most]
        norms = [self._norm_and_rule(line, memos)[0] for line in short]
        memos.prompt.update(dict.fromkeys(new, False))
        memos.prompt.update(zip(short, self._prompts.search_many(norms), strict=True))

    def _opens_footer(self, line: str, memos: _LineMemos) -> bool:
        """A heading such as "Comments", "Related posts", "12 thoughts on ...": what follows it
        below the article is the page's footer (layout.py decides whether it is below)."""
        known = memos.footer.get(line)
        if known is None:
            norm = self._norm_and_rule(line, memos)[0]
            known = bool(norm) and (
                (self._footer_heading is not None and bool(self._footer_heading.fullmatch(norm)))
                or any(p.match(norm) for p in self._footer_patterns)
            )
            memos.footer[line] = known
        return known

    def _is_tag_spam(self, lines: list[str], i: int, doomed: dict[int, str]) -> bool:
        """Keywords only: no sentence end, no code or formula marks (a command line such as
        `set level=normal` is the article's), (almost) no function words of English nor of
        the page's language, and mostly words the article already uses."""
        line = lines[i].strip()
        cfg = self.config.tag_spam
        if word_count(lines[i]) < cfg.min_words or _SENTENCE_END.search(line):
            return False
        lowered = lower_words(lines[i])
        if any(mark in line for mark in cfg.code_marks):
            return False
        if _function_share(lowered, FUNCTION_WORDS) > cfg.max_function_word_ratio:
            return False
        # before the vocabulary, which takes every line's words: the page's stopwords are
        # read off the lines' facts, known by now
        others = [other for j, other in enumerate(lines) if j not in doomed]
        if _function_share(lowered, page_stopwords(others)) > cfg.max_function_word_ratio:
            return False
        return vocabulary_overlap(lines, i, doomed) >= cfg.min_vocabulary_overlap

    def _squeeze_blank_lines(self, lines: list[str], changes: list[Change]) -> list[str]:
        """Drop leading and trailing blank lines, squeeze inner runs to max_blank_lines."""
        out: list[str] = []
        run: list[str] = []
        for line in lines:
            if line.strip():
                if out:
                    out.extend(run[: self.config.max_blank_lines])
                    dropped = run[self.config.max_blank_lines :]
                else:
                    dropped = run
                if dropped:
                    changes.append(Change("boilerplate.blank_lines", "\n".join(dropped) + "\n"))
                run = []
                out.append(line)
            else:
                run.append(line)
        if run and out:
            changes.append(Change("boilerplate.blank_lines", "\n".join(run) + "\n"))
        return out


_MEMO_LINES = 50_000  # lines remembered (some 20 MB) before the memos start again


@dataclass
class _LineMemos:
    """What the rules learnt of a line, by its content alone: the same line gets the same
    answers on every page (of one language), so they serve the next pass over the page and
    later pages too, where a site's chrome lines come back. Output is as without them."""

    line_rules: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # norm, rule
    prose: dict[str, bool] = field(default_factory=dict)
    footer: dict[str, bool] = field(default_factory=dict)  # opens the page's footer
    prompt: dict[str, bool] = field(default_factory=dict)  # a newsletter prompt, by its words
    scores: dict[frozenset[str], dict[str, float]] = field(default_factory=dict)  # per language

    def size(self) -> int:
        return len(self.line_rules) + sum(len(s) for s in self.scores.values())


def _phrase_regex(phrases: Iterable[str], sep: str = r"[\s\W_]*") -> re.Pattern[str] | None:
    """A line made only of phrases, with punctuation, bullets or separators (`sep`) between."""
    alternatives = sorted({normalise_line(p) for p in phrases if p.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    body = "|".join(re.escape(a) for a in alternatives)
    return re.compile(rf"{sep}(?:(?:{body}){sep})+")


def vocabulary_overlap(lines: Sequence[str], i: int, doomed: Collection[int]) -> float:
    """The share of line i's words (counted with repeats) that some other line not `doomed`
    uses (the other lines scanned for them at once: words_used)."""
    lowered = lower_words(lines[i])
    others = [other for j, other in enumerate(lines) if j != i and j not in doomed]
    used = words_used(set(lowered), others)
    return sum(t in used for t in lowered) / len(lowered)


def _take(rows: list[int], rules: list[str | None], rule: str, hits: list[bool]) -> list[int]:
    """Give `rule` to the rows hit; the rows left, in order."""
    left = []
    for k, hit in zip(rows, hits, strict=True):
        if hit:
            rules[k] = rule
        else:
            left.append(k)
    return left


def _function_share(tokens: Sequence[str], function_words: frozenset[str]) -> float:
    return sum(t in function_words for t in tokens) / len(tokens)


def _strip_count(norm: str) -> str:
    """'like 12' and '12 like' are the label 'like' with a counter."""
    return " ".join(w for w in norm.split() if not w.isdigit()) or norm


_SLUG = re.compile(r"[^\W_]+(?:[_-]+[^\W_]+)+")  # it has a - or _: a cheap test goes first


def _slug_lines(lines: list[str], title: str | None, min_parts: int) -> Iterable[int]:
    slugs = {}
    for i, line in enumerate(lines):
        # cheap tests first: a slug has a - or _, and no space (most lines with a - have one)
        if "-" not in line and "_" not in line:
            continue
        stripped = line.strip()
        if " " not in stripped and _SLUG.fullmatch(stripped):
            slugs[i] = [p.lower() for p in re.split(r"[_-]+", stripped) if p]
    slugs = {i: parts for i, parts in slugs.items() if len(parts) >= min_parts}
    if not slugs:
        return
    others = [line for i, line in enumerate(lines) if i not in slugs and line.strip()]
    if title:
        others.append(title)
    # a heading of its slug has from as many words as the slug to twice as many
    # (_is_slug_of): the other lines are counted, not tokenised
    fewest, most = min(map(len, slugs.values())), 2 * max(map(len, slugs.values()))
    headings = [lower_words(line) for line in others if fewest <= word_count(line) <= most]
    for i, parts in slugs.items():
        if any(_is_slug_of(parts, heading) for heading in headings):
            yield i


def _is_slug_of(parts: list[str], heading: Sequence[str]) -> bool:
    """The slug's words appear in order in the heading and cover at least half of it."""
    if not heading or len(parts) < len(heading) / 2:
        return False
    remaining = iter(heading)
    return all(any(part == w for w in remaining) for part in parts)


def _last_content_line(lines: list[str], doomed: dict[int, str]) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if i not in doomed and lines[i].strip():
            return i
    return None
