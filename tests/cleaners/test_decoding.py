from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.decoding import (
    _mostly_utf8,
    _mostly_utf8_plain,
    decode_bytes,
    without_lone_surrogates,
)

FRENCH = "L'été dernier, le café du village a fermé ses portes après quarante années."


def test_utf8_and_bom():
    assert decode_bytes(FRENCH.encode("utf-8")) == (FRENCH, "utf-8")
    assert decode_bytes(b"\xef\xbb\xbf" + FRENCH.encode("utf-8")).text == FRENCH


def test_legacy_single_byte_text_is_detected():
    text, encoding = decode_bytes((FRENCH * 3).encode("cp1252"))
    assert text == FRENCH * 3
    assert encoding != "utf-8"


def test_binary_is_not_text():
    assert decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))).text is None


def test_lone_surrogates_become_replacement_characters():
    assert without_lone_surrogates("a\ud800b") == "a\ufffdb"
    assert without_lone_surrogates("plain") == "plain"


POLISH = (
    "Ziemniaki na szóstej, surówka na dziesiątej: żeby pomóc, trzeba wiedzieć, którą drogą iść."
)


def test_utf8_page_with_a_stray_legacy_byte_stays_utf8():
    data = (FRENCH * 3).encode("utf-8") + b" Mitgef" + b"\xfc" + b"hl."
    text, encoding = decode_bytes(data, "utf-8")
    assert encoding == "utf-8"
    assert text == FRENCH * 3 + " Mitgefühl."


def test_declared_charset_is_used_when_the_bytes_decode_in_it():
    data = (POLISH * 3).encode("iso-8859-2")
    assert decode_bytes(data, "ISO-8859-2").text == POLISH * 3


def test_iso_8859_1_is_read_as_windows_1252_like_browsers_do():
    data = "„Rhein“ – 5 €".encode("cp1252") + (FRENCH * 2).encode("cp1252")
    assert decode_bytes(data, "iso-8859-1").text == "„Rhein“ – 5 €" + FRENCH * 2


def test_a_declared_charset_that_does_not_fit_the_bytes_is_ignored():
    data = (POLISH * 3).encode("cp1250")
    text, encoding = decode_bytes(data, "shift_jis")
    assert encoding not in ("shift_jis", "cp932")
    assert text.startswith("Ziemniaki na szóstej, surówka na dziesi")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.binary(max_size=6),
            st.sampled_from([b"\x80", b"\x81", b"\xe9", b"\xe2\x82", b"\xed\xa0\x80", b"\xff"]),
        ),
        max_size=30,
    ).map(b"".join)
)
def test_mostly_utf8_equals_its_plain_definition(data):
    assert _mostly_utf8(data) == _mostly_utf8_plain(data)


def test_mostly_utf8_reads_stray_bytes_as_cp1252():
    page = "Grüße aus Köln, schöne Straße. ".encode() * 4 + b"caf\xe9 \x81"
    assert _mostly_utf8(page) == "Grüße aus Köln, schöne Straße. " * 4 + "café \ufffd"
    assert _mostly_utf8(b"\xe9\xe8\xe0 abc") is None  # no valid UTF-8 beside the strays
