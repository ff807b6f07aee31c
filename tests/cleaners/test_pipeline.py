"""The cleaning chain on the five seed articles: the artifacts named in issue #2 go, every
other line of the articles stays, with only its artifacts fixed."""

from cleaners.config import Config
from cleaners.document import Change, Document
from cleaners.pipeline import EMPTY, NO_CONTENT, DocumentCleaner

cleaner = DocumentCleaner(Config.load())

# Whole lines of the seeds that are boilerplate, written out by hand from the seeds.
BOILERPLATE_LINES = {
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "Back To Top",
    "What's Your Reaction?",
    "Trump_Engages_Putin_and_Zelensky_in_Critical_Ukraine_Peace_Talks",
    "asmr asmr cheater Nato putin Russia trump ukraine peace negotiations prisoner swap "
    "Zelenskyy U.S. foreign policy NATO membership diplomatic shift",
}


def test_seed_artifacts_go_and_every_other_line_stays(seed_texts):
    assert len(seed_texts) == 5
    for doc_id, raw in seed_texts.items():
        doc = cleaner.run(Document(doc_id=doc_id, source=f"seeds/{doc_id}.txt", text=raw))
        assert doc.reason is None
        for artifact in [*BOILERPLATE_LINES, '\\"']:
            assert artifact not in doc.text, (doc_id, artifact)
        expected = [
            line.replace('\\"', '"')
            for line in raw.split("\n")
            if line.strip() and line not in BOILERPLATE_LINES
        ]
        assert [line for line in doc.text.split("\n") if line.strip()] == expected, doc_id


def test_titles_and_subtitles_stay(seed_texts):
    doc = cleaner.run(Document("001", "seeds/001.txt", seed_texts["001_236f0169506c7e9b"]))
    lines = doc.text.split("\n")
    assert lines[0] == "Zelensky Reaches Out to Trump Amid Russia Tensions"
    assert lines[1].startswith("Zelensky signals readiness to work with Trump")


def test_every_removal_is_recorded(seed_texts):
    raw = seed_texts["002_d5ddd111fd756a9a"]
    doc = cleaner.run(Document("002", "seeds/002.txt", raw))
    removed = {c.removed for c in doc.changes if c.replacement is None}
    assert BOILERPLATE_LINES & set(raw.split("\n")) <= removed
    assert Change("escapes.quote", '\\"', '"') in doc.changes


def test_document_with_only_boilerplate_is_rejected_as_empty():
    doc = cleaner.run(Document("x", "x.txt", "Leave a Reply\n\nBack To Top\n"))
    assert doc.reason == EMPTY
    assert doc.text == ""
    assert [c.removed for c in doc.changes if c.rule != "boilerplate.blank_lines"] == [
        "Leave a Reply",
        "Back To Top",
    ]


def test_html_is_extracted_then_cleaned():
    page = (
        "<html><head><title>Talks resume</title></head><body><nav>Home | World</nav><article>"
        "<h1>Talks resume</h1><p>Delegations arrived in Geneva on Monday for a new round of "
        "talks, officials said in a statement.</p><p>The caf\u00c3\u00a9 near the venue "
        "stayed open late as reporters waited for news of the talks.</p>"
        "<p>What's Your Reaction?</p></article></body></html>"
    )
    doc = cleaner.run(Document("p", "p.html", page, content_type="html"))
    assert doc.title == "Talks resume"
    assert "Delegations arrived in Geneva on Monday" in doc.text
    assert "The café near the venue" in doc.text
    assert "What's Your Reaction?" not in doc.text
    assert "Home" not in doc.text


def test_html_without_main_text_keeps_the_page():
    page = "<html><head><title>t</title></head><body><script>var a = 1;</script></body></html>"
    doc = cleaner.run(Document("p", "p.html", page, content_type="html"))
    assert doc.reason == NO_CONTENT
    assert doc.text == page


def test_rejected_documents_pass_untouched():
    doc = Document("m", "x.jsonl:3", '{"broken', reason="malformed")
    assert cleaner.run(doc) is doc


def test_each_step_s_time_is_added_up(seed_texts):
    timed = DocumentCleaner(Config.load())
    for doc_id, raw in seed_texts.items():
        timed.run(Document(doc_id=doc_id, source=f"seeds/{doc_id}.txt", text=raw))
    assert set(timed.seconds) == {"encoding", "escapes", "boilerplate"}  # no html in text
    assert all(seconds > 0 for seconds in timed.seconds.values())
    before = dict(timed.seconds)
    page = "<html><body><p>One line.</p></body></html>"
    timed.run(Document("p", "p.html", page, content_type="html"))
    assert timed.seconds["html"] > 0
    assert all(timed.seconds[step] >= before[step] for step in before)


def test_a_cleaner_without_a_config_has_the_shipped_rules():
    """DocumentCleaner() is what a notebook user writes: it must clean as a run does, not
    with the empty rule lists of a bare Config()."""
    doc = Document("d", "d.txt", "\n".join(["An article line that stays here.", "Leave a Reply"]))
    default, shipped = DocumentCleaner().run(doc), cleaner.run(doc)
    assert default.text == shipped.text == "An article line that stays here."
    assert [c.rule for c in default.changes] == [c.rule for c in shipped.changes]
