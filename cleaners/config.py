"""One Config object: the packaged defaults (defaults.toml) with a user's TOML merged over them.

The models' own defaults agree with defaults.toml for every setting but the rule lists, which
start empty (a test builds a stripper of just the rules it names); tests hold the two
together. Config.load() is what a run, and a cleaner built without a config, uses."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULTS_PATH = Path(__file__).with_name("defaults.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EncodingConfig(_Section):
    enabled: bool = True
    uncurl_quotes: bool = False
    fix_character_width: bool = False
    fix_latin_ligatures: bool = True
    normalization: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = "NFC"


class EscapesConfig(_Section):
    enabled: bool = True


class TagSpamConfig(_Section):
    enabled: bool = True
    min_words: int = Field(6, ge=1)
    max_function_word_ratio: float = Field(0.05, ge=0, le=1)
    min_vocabulary_overlap: float = Field(0.6, ge=0, le=1)
    code_marks: str = "=<>{}[]()\\$"


class SlugConfig(_Section):
    enabled: bool = True
    min_parts: int = Field(3, ge=2)


class LayoutConfig(_Section):
    """Context and position rules (cleaners/layout.py); scores from cleaners/line_features.py."""

    enabled: bool = True
    min_lines: int = Field(8, ge=1)
    prose_words: int = Field(10, ge=1)
    short_words: int = Field(5, ge=1)
    cap_words: int = Field(60, ge=1)
    min_stopword_ratio: float = Field(0.15, ge=0, le=1)
    short_score: float = Field(-0.4, le=0)
    separator_score: float = Field(-1.0, le=0)
    ellipsis_score: float = Field(-0.5, le=0)
    date_score: float = Field(-0.6, le=0)
    medium_score: float = 0.3
    heading_score: float = Field(-0.2, le=0)
    list_factor: float = Field(2.0, ge=1)
    run_free: int = Field(2, ge=0)
    run_growth: float = Field(1.0, ge=0)
    min_article_score: float = Field(12.0, ge=0)
    weak_article_score: float = Field(2.0, ge=0)
    weak_run_lines: int = Field(4, ge=1)
    min_segment_score: float = Field(2.5, ge=0)
    min_segment_share: float = Field(0.25, ge=0, le=1)
    menu_min_lines: int = Field(6, ge=1)
    head_lines: int = Field(2, ge=0)
    title_anchor_words: int = Field(3, ge=1)
    protected_words: int = Field(3, ge=1)
    unended_factor: float = Field(0.5, ge=0, le=1)
    footer_share: float = Field(0.65, ge=0, le=1)
    footer_chrome_share: float = Field(0.25, ge=0, le=1)
    quantity_run: int = Field(3, ge=2)


class BoilerplateConfig(_Section):
    enabled: bool = True
    max_blank_lines: int = Field(1, ge=0)
    phrases: list[str] = []
    extra_phrases: list[str] = []
    patterns: list[str] = []
    extra_patterns: list[str] = []
    widget_headers: list[str] = []
    widget_labels: list[str] = []
    footer_headings: list[str] = []
    footer_patterns: list[str] = []
    caption_patterns: list[str] = []
    caption_max_words: int = Field(50, ge=1)
    prompt_patterns: list[str] = []
    prompt_max_words: int = Field(40, ge=1)
    prompt_paragraph_score: float = 1.0
    notice_patterns: list[str] = []
    notice_max_words: int = Field(60, ge=1)
    tag_spam: TagSpamConfig = TagSpamConfig()
    slug: SlugConfig = SlugConfig()
    layout: LayoutConfig = LayoutConfig()

    @field_validator(
        "patterns",
        "extra_patterns",
        "footer_patterns",
        "caption_patterns",
        "prompt_patterns",
        "notice_patterns",
    )
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        import re

        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from exc
        return patterns


class ChromeConfig(_Section):
    """Corpus-level site chrome (cleaners/chrome.py)."""

    enabled: bool = True
    min_docs: int = Field(8, ge=2)
    min_share: float = Field(0.0, ge=0, le=1)
    article_key_words: int = Field(8, ge=1)
    common_docs: int = Field(3, ge=2)


class DedupConfig(_Section):
    enabled: bool = True
    shingle: Literal["word", "char"] = "word"
    ngram: int = Field(5, ge=1)
    num_perm: int = Field(128, ge=16)
    seed: int = 1
    threshold: float = Field(0.7, gt=0, le=1)
    representative: Literal["longest", "first"] = "longest"


class RunConfig(_Section):
    shard_size: int = Field(5_000, ge=1)
    shard_mb: int = Field(32, ge=1)


class Config(_Section):
    encoding: EncodingConfig = EncodingConfig()
    escapes: EscapesConfig = EscapesConfig()
    boilerplate: BoilerplateConfig = BoilerplateConfig()
    chrome: ChromeConfig = ChromeConfig()
    dedup: DedupConfig = DedupConfig()
    run: RunConfig = RunConfig()

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> Config:
        """Defaults, then the user's file, then keyword overrides (section -> dict)."""
        data = tomllib.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
        if path is not None:
            try:
                user = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from exc
            data = _merge(data, user)
        data = _merge(data, overrides)
        return cls.model_validate(data)


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
