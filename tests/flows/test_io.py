import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaners.document import Change
from flows.io import (
    CHANGES_TYPE,
    MALFORMED,
    UNREADABLE,
    InputError,
    changes_array,
    documents_to_table,
    find_input_files,
    plan_shards,
    read_shard,
    scan_inputs,
)


def write_jsonl(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_all(files, shard_size=100):
    return [doc for shard in plan_shards(files, shard_size) for doc in read_shard(shard)]


def test_folders_are_searched_for_supported_files_in_sorted_order(tmp_path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_text("<p>a</p>")
    (tmp_path / "notes.md").write_text("not a supported type")
    assert scan_inputs([tmp_path]) == (
        [tmp_path / "b.txt", tmp_path / "sub" / "a.html"],
        [tmp_path / "notes.md"],
    )


def test_missing_path_and_unknown_type_are_errors_naming_the_path(tmp_path):
    with pytest.raises(InputError, match=r"nope\.txt: no such file"):
        find_input_files([tmp_path / "nope.txt"])
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"x\.pdf: unsupported file type"):
        find_input_files([tmp_path / "x.pdf"])


def test_txt_document_id_is_the_file_stem(tmp_path):
    (tmp_path / "000_abc.txt").write_text("Hello.", encoding="utf-8")
    [doc] = read_all([tmp_path / "000_abc.txt"])
    assert (doc.doc_id, doc.source, doc.text, doc.reason) == (
        "000_abc",
        str(tmp_path / "000_abc.txt"),
        "Hello.",
        None,
    )


def test_legacy_encoded_txt_is_decoded_and_the_decoding_recorded(tmp_path):
    text = "Le café de la gare a fermé après quarante années de service. " * 3
    (tmp_path / "fr.txt").write_bytes(text.encode("cp1252"))
    [doc] = read_all([tmp_path / "fr.txt"])
    assert doc.text == text
    assert [c.rule for c in doc.changes] == ["input.decoding"]


def test_binary_file_is_rejected_as_unreadable(tmp_path):
    (tmp_path / "img.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    [doc] = read_all([tmp_path / "img.txt"])
    assert doc.reason == UNREADABLE


def test_jsonl_fields_become_metadata_and_bad_lines_are_kept_as_malformed(tmp_path):
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            json.dumps({"id": "a", "text": "Alpha.", "url": "https://news.example.org/a", "x": 1}),
            "{not json",
            json.dumps({"id": "c", "body": "no text field"}),
            "",
            json.dumps({"id": 7, "text": "Seven.", "title": "T"}),
            json.dumps({"id": ["x"], "text": "list id"}),
        ],
    )
    docs = read_all([path])
    assert [(d.doc_id, d.source.rsplit(":", 1)[1], d.reason) for d in docs] == [
        ("a", "1", None),
        ("docs:2", "2", MALFORMED),
        ("docs:3", "3", MALFORMED),
        ("7", "5", None),
        ("docs:6", "6", MALFORMED),
    ]
    assert docs[0].metadata == {"url": "https://news.example.org/a", "x": 1}
    assert docs[0].site == "news.example.org"
    assert docs[1].text == "{not json"  # nothing is lost
    assert docs[3].title == "T"


def test_jsonl_is_cut_into_shards_that_together_read_every_line(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl", [json.dumps({"id": str(i), "text": f"t{i}"}) for i in range(10)]
    )
    shards = plan_shards([path], 3)
    assert [s.first_line for s in shards] == [1, 4, 7, 10]
    docs = [d for s in shards for d in read_shard(s)]
    assert [d.doc_id for d in docs] == [str(i) for i in range(10)]
    assert [d.source for d in docs] == [f"{path}:{i + 1}" for i in range(10)]


def test_lone_surrogates_from_json_can_be_stored(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", ['{"id": "s", "text": "bad \\ud800 char"}'])
    table = documents_to_table(read_all([path]))
    assert table["text"].to_pylist() == ["bad \ufffd char"]


def test_a_document_of_tens_of_megabytes_is_read_and_cleaned(tmp_path):
    import random

    from cleaners.config import Config
    from cleaners.pipeline import DocumentCleaner
    from tests.synthetic import article

    rng = random.Random(1)
    text = "\n\n".join(article(rng, 40) for _ in range(2200))
    (tmp_path / "big.txt").write_text(text, encoding="utf-8")
    [doc] = read_all([tmp_path / "big.txt"])
    cleaned = DocumentCleaner(Config.load()).run(doc)
    assert len(text) > 20_000_000
    assert cleaned.reason is None
    assert cleaned.text == text  # plain prose: nothing to fix or remove


def test_jsonl_lines_end_at_newline_only(tmp_path):
    """A stray carriage return inside a record must not split it or shift line numbers."""
    path = tmp_path / "cr.jsonl"
    path.write_bytes(b'{"id": "a", "text": "one\rtwo"}\n{"id": "b", "text": "three"}\n')
    docs = [d for s in plan_shards([path], 1) for d in read_shard(s)]
    assert [(d.doc_id, d.source) for d in docs] == [("cr:1", f"{path}:1"), ("b", f"{path}:2")]
    assert docs[0].reason == MALFORMED  # a raw control character is not valid JSON


def test_deeply_nested_truncated_and_lying_html_give_a_row_each(tmp_path):
    from cleaners.config import Config
    from cleaners.pipeline import NO_CONTENT, DocumentCleaner

    prose = "The council met on Monday to discuss the new bridge, officials said. " * 3
    (tmp_path / "deep.html").write_text(
        "<html><body>" + "<div>" * 20000 + f"<p>{prose}</p>" + "</div>" * 20000 + "</body></html>"
    )
    (tmp_path / "truncated.html").write_text(
        f"<html><head><title>T</title></head><body><article><p>{prose}</p><p>More about the"
    )
    (tmp_path / "lying.html").write_bytes(  # says UTF-8, is cp1252
        f'<html><head><meta charset="utf-8"></head><body><article><p>{prose} Café crème.'
        "</p></article></body></html>".encode("cp1252")
    )
    cleaner = DocumentCleaner(Config.load())
    docs = {d.doc_id: cleaner.run_safely(d) for d in read_all(sorted(tmp_path.glob("*.html")))}
    assert set(docs) == {"deep", "truncated", "lying"}
    # past lxml's depth limit there is no main text: rejected with the page kept, not lost
    assert docs["deep"].reason == NO_CONTENT and "<div>" * 100 in docs["deep"].text
    assert docs["truncated"].reason is None and prose.strip() in docs["truncated"].text
    assert docs["lying"].reason is None and "Café crème." in docs["lying"].text
    assert "input.decoding" in [c.rule for c in docs["lying"].changes]


def test_parquet_rows_are_documents_read_row_group_by_row_group(tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": ["a", None, "c", "d", "e"],
            "text": ["First.", "Second.", None, "Fourth.", "Fifth."],
            "title": ["A title", None, None, None, None],
            "url": ["https://news.example/a", None, None, None, None],
            "crawled": [datetime.date(2026, 11, 1)] * 5,
        }
    )
    path = tmp_path / "crawl.parquet"
    pq.write_table(table, path, row_group_size=2)  # row groups of 2, 2 and 1 rows
    shards = plan_shards([path], 3)
    assert [(s.kind, s.start, s.end, s.size) for s in shards] == [
        ("parquet", 0, 2, 4),
        ("parquet", 2, 3, 1),
    ]
    docs = [doc for shard in shards for doc in read_shard(shard)]
    assert [d.source for d in docs] == [f"{path}:{row}" for row in range(5)]
    assert [d.doc_id for d in docs] == ["a", "crawl:1", "crawl:2", "d", "e"]  # malformed: no id
    assert docs[0].title == "A title" and docs[0].site == "news.example"
    assert docs[0].metadata == {"url": "https://news.example/a", "crawled": "2026-11-01"}
    assert docs[2].reason == MALFORMED and "text" in docs[2].changes[0].removed
    assert [d.text for d in docs if d.reason is None] == ["First.", "Second.", "Fourth.", "Fifth."]
    assert documents_to_table(docs).num_rows == 5


def test_parquet_without_a_text_column_or_not_parquet_is_an_error_before_any_work(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "body.parquet")
    with pytest.raises(InputError, match=r"body\.parquet: no 'text' column \(columns: body\)"):
        find_input_files([tmp_path / "body.parquet"])
    (tmp_path / "fake.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match=r"fake\.parquet: not a readable Parquet file"):
        find_input_files([tmp_path / "fake.parquet"])


def test_a_shard_of_files_also_ends_at_its_byte_budget(tmp_path):
    for i in range(6):
        (tmp_path / f"p{i}.html").write_bytes(b"<p>x</p>" * 100)  # 800 bytes each
    files = find_input_files([tmp_path])
    assert [len(s.paths) for s in plan_shards(files, 100, shard_bytes=2000)] == [2, 2, 2]
    assert [len(s.paths) for s in plan_shards(files, 4, shard_bytes=10**9)] == [3, 3]  # even


def test_shards_of_files_come_in_a_multiple_of_the_workers_and_of_even_bytes(tmp_path):
    sizes = [900, 100, 100, 100, 100, 100, 500, 500, 300, 300, 200, 100]  # 3,300 bytes
    for i, size in enumerate(sizes):
        (tmp_path / f"p{i:02d}.html").write_bytes(b"x" * size)
    files = find_input_files([tmp_path])
    for workers in (1, 2, 3):
        shards = plan_shards(files, 100, shard_bytes=1000, workers=workers)
        assert len(shards) % workers == 0 and len(shards) >= 4  # 4 budgets of 1,000 at least
        assert [p for s in shards for p in s.paths] == [str(f) for f in files]  # in order, once
        held = [sum(Path(p).stat().st_size for p in s.paths) for s in shards]
        # each shard ends at the first file that reaches its share of the bytes
        assert max(held) - min(held) <= max(sizes), held
    assert len(plan_shards(files, 100, shard_bytes=10**6, workers=2)) == 1  # fits one


def test_jsonl_lines_are_cut_into_a_multiple_of_the_workers_of_even_size(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl", [json.dumps({"id": str(i), "text": f"t{i}"}) for i in range(12)]
    )
    other = tmp_path / "e.jsonl"  # its last line has no newline
    other.write_text(json.dumps({"id": "last", "text": "t"}), encoding="utf-8")
    assert [s.lines for s in plan_shards([path], 5)] == [4, 4, 4]  # not 5, 5, 2
    assert [s.lines for s in plan_shards([path], 12, workers=2)] == [12]  # fits one: stays one
    assert [s.lines for s in plan_shards([path], 5, workers=2)] == [3, 3, 3, 3]
    shards = plan_shards([path, other], 5, workers=2)
    assert [s.lines for s in shards] == [4, 4, 4, 1]  # 13 lines in 4 shards of up to 4
    docs = [d.doc_id for s in shards for d in read_shard(s)]
    assert docs == [str(i) for i in range(12)] + ["last"]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(
    st.lists(st.lists(st.builds(Change, _TEXT, _TEXT, st.none() | _TEXT), max_size=6), max_size=8)
)
def test_the_changes_column_is_what_arrow_makes_of_each_change_as_a_dict(changes):
    expected = pa.array([[c._asdict() for c in row] for row in changes], CHANGES_TYPE)
    found = changes_array(changes)
    found.validate(full=True)
    assert found.equals(expected)
    assert found.to_pylist() == [[c._asdict() for c in row] for row in changes]
