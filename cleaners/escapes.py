"""Escape artifacts left by scrapers that serialised text twice: \\" \\' literal \\n \\t \\uXXXX,
and entities escaped twice (&amp;quot;) or left as &nbsp;.

Backslashes that are content stay: a token that looks like a Windows path or a regular
expression is left alone, and a \\n or \\t between two lowercase word characters (dir\\name)
is too ambiguous to touch.
"""

from __future__ import annotations

import html
import re

from cleaners.config import EscapesConfig
from cleaners.document import Change, Cleaned, distinct

# One backslash sequence; "\\\\" is matched as a unit so that an escaped backslash is never
# read as the start of another escape.
_ESCAPE = re.compile(
    r"\\(?:u(?P<hex>[0-9a-fA-F]{4})|(?P<quote>[\"'])|(?P<crlf>r\\n)|(?P<ctl>[nrt])|(?P<bs>\\))"
)
_UNICODE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_TOKEN = re.compile(r"\S+")
# Tokens whose backslashes are content: Windows/UNC paths, regular expressions.
_PATH = re.compile(r"""^[\\"'(\[]*(?:[A-Za-z]:\\|\\\\[\w.$-]+\\)""")
_REGEX = re.compile(r"\\[dDwWsSbB.()\[\]{}+*?^$|/]")
_DOUBLE_ENTITY = re.compile(r"&amp;((?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});)")
_NBSP = re.compile(r"&nbsp;", re.IGNORECASE)
_CONTROL = {"n": "\n", "t": "\t", "r": "\n"}


class EscapeFixer:
    """Undoes escape artifacts; repeats until nothing changes, so it is idempotent."""

    name = "escapes"

    def __init__(self, config: EscapesConfig | None = None) -> None:
        self.config = config or EscapesConfig()

    def __call__(self, text: str) -> Cleaned:
        if "\\" not in text and "&" not in text:
            return Cleaned(text, [])
        changes: list[Change] = []
        while True:
            fixed = _fix_entities(text, changes)
            fixed = _TOKEN.sub(lambda m: _fix_token(m.group(), changes), fixed)
            if fixed == text:
                return Cleaned(text, distinct(changes))
            text = fixed


def _fix_entities(text: str, changes: list[Change]) -> str:
    def unescape_twice(m: re.Match[str]) -> str:
        entity = "&" + m.group(1)
        char = html.unescape(entity)
        if char == entity or "\\" in char or "&" in char:
            return m.group()  # unknown entity, or one whose result could start a new artifact
        changes.append(Change("escapes.double_entity", m.group(), char))
        return char

    text = _DOUBLE_ENTITY.sub(unescape_twice, text)
    if "&" in text and _NBSP.search(text):
        changes.append(Change("escapes.nbsp", "&nbsp;", " "))
        text = _NBSP.sub(" ", text)
    return text


def _fix_token(token: str, changes: list[Change]) -> str:
    if "\\" not in token or _PATH.match(token) or _REGEX.search(token):
        return token
    token = _UNICODE_PAIR.sub(lambda m: _surrogate_pair(m, changes), token)
    out: list[str] = []
    pos = 0
    previous_end = -1
    for m in _ESCAPE.finditer(token):
        start, end = m.span()
        out.append(token[pos:start])
        out.append(_replace(m, token, start == previous_end, changes))
        pos = previous_end = end
    out.append(token[pos:])
    return "".join(out)


def _replace(m: re.Match[str], token: str, after_escape: bool, changes: list[Change]) -> str:
    seq = m.group()
    if m.group("bs") is not None:
        return seq
    if m.group("quote") is not None:
        changes.append(Change("escapes.quote", seq, m.group("quote")))
        return m.group("quote")
    if m.group("hex") is not None:
        char = chr(int(m.group("hex"), 16))
        if (
            char == "\\"
            or 0xD800 <= ord(char) <= 0xDFFF
            or not (char.isprintable() or char in "\n\t")
        ):
            return seq  # would make a new escape, a lone surrogate, or an invisible control
        changes.append(Change("escapes.unicode", seq, char))
        return char
    # \n \t \r: an artifact unless it sits between word characters like a path segment (dir\name)
    start, end = m.span()
    before = token[start - 1] if start and not after_escape else " "
    after = token[end] if end < len(token) else " "
    if before.isalnum() and after.islower():
        return seq
    replacement = "\n" if m.group("crlf") else _CONTROL[m.group("ctl")]
    changes.append(Change("escapes.control", seq, replacement))
    return replacement


def _surrogate_pair(m: re.Match[str], changes: list[Change]) -> str:
    char = (
        (chr(int(m.group(1), 16)) + chr(int(m.group(2), 16)))
        .encode("utf-16", "surrogatepass")
        .decode("utf-16")
    )
    changes.append(Change("escapes.unicode", m.group(), char))
    return char
