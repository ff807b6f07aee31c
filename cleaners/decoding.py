"""Bytes to text: UTF-8 when the bytes are UTF-8, else the charset they really are in."""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)

_SNIFF = 8192


class Decoded(NamedTuple):
    text: str | None  # None: the bytes are not text (binary)
    encoding: str | None


def looks_binary(data: bytes) -> bool:
    """NUL bytes do not occur in text in any single-byte or UTF-8 encoding."""
    head = data[:_SNIFF]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Strict UTF-8 first (a page's declared charset is often wrong); else charset detection.

    Detection often finds several encodings equally plausible (cp1250 and cp1252 decode most
    Latin text without "chaos"); among those, the declared charset wins, then cp1252, the
    most common legacy encoding on the web.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if looks_binary(data):
        return Decoded(None, None)
    matches = list(from_bytes(data))
    if not matches:
        return Decoded(None, None)
    least_chaos = min(m.chaos for m in matches)
    plausible = {_codec_name(m.encoding): m for m in matches if m.chaos <= least_chaos + 0.01}
    for preferred in (declared, "cp1252"):
        match = plausible.get(_codec_name(preferred)) if preferred else None
        if match is not None:
            return Decoded(str(match), match.encoding)
    best = matches[0]
    return Decoded(str(best), best.encoding)


def declared_charset(html: bytes) -> str | None:
    """The charset a page's <meta> declares, if any (it may lie; see decode_bytes)."""
    found = _META_CHARSET.search(html[:_SNIFF])
    return found.group(1).decode("ascii") if found else None


def _codec_name(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def without_lone_surrogates(text: str) -> str:
    """Lone UTF-16 surrogates (from JSON such as "\\ud800") cannot be stored as UTF-8: each
    becomes U+FFFD. A valid pair written as two escapes is joined into its character."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
