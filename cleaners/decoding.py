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
# A page whose non-ASCII bytes are almost all valid UTF-8 is UTF-8 with a few stray bytes
# (a pasted cp1252 "ü" in a UTF-8 page), not a legacy encoding: at most this share invalid.
_MOSTLY_UTF8 = 0.1
# Labels browsers read as another encoding (WHATWG Encoding Standard): pages declaring
# ISO-8859-1 are written in windows-1252, GB2312 pages in GBK/GB18030, and so on.
_WHATWG = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}


class Decoded(NamedTuple):
    text: str | None  # None: the bytes are not text (binary)
    encoding: str | None


def looks_binary(data: bytes) -> bool:
    """NUL bytes do not occur in text in any single-byte or UTF-8 encoding."""
    head = data[:_SNIFF]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Strict UTF-8 first (a page's declared charset is often wrong); then UTF-8 with a few
    stray bytes; then the declared charset when the bytes decode in it without error; else
    charset detection.

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
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return Decoded(mostly, "utf-8")
    codec = _codec_name(declared)
    codec = _WHATWG.get(codec, codec) if codec else None
    if codec and codec != "utf-8":
        try:
            return Decoded(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            pass
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


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few invalid bytes, each read as cp1252 (the usual stray); None when
    too many of the non-ASCII bytes are invalid for the page to be UTF-8. In C, not a loop
    over the characters: 'ignore' drops exactly the bytes the decoder finds invalid."""
    valid_text = data.decode("utf-8", "ignore")
    stray = len(data) - len(valid_text.encode("utf-8"))
    valid = len(valid_text) - len(valid_text.encode("ascii", "ignore"))
    if stray > _MOSTLY_UTF8 * valid:
        return None
    return data.decode("utf-8", _STRAY_AS_CP1252)


def _mostly_utf8_plain(data: bytes) -> str | None:
    """_mostly_utf8 character by character (the definition; tests hold the two equal)."""
    text = data.decode("utf-8", "surrogateescape")
    stray = sum(1 for c in text if "\udc80" <= c <= "\udcff")
    valid = sum(1 for c in text if ord(c) > 0x7F) - stray
    if stray > _MOSTLY_UTF8 * valid:
        return None
    return "".join(
        bytes([ord(c) - 0xDC00]).decode("cp1252", "replace") if "\udc80" <= c <= "\udcff" else c
        for c in text
    )


_CP1252_BYTES = [bytes([b]).decode("cp1252", "replace") for b in range(256)]


def _stray_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Each byte UTF-8 decoding fails on, as cp1252 (undefined ones as U+FFFD)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_CP1252_BYTES[b] for b in bad), error.end


_STRAY_AS_CP1252 = "clean-corpus-stray-cp1252"
codecs.register_error(_STRAY_AS_CP1252, _stray_as_cp1252)


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
