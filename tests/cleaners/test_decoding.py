from cleaners.decoding import decode_bytes, without_lone_surrogates

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
