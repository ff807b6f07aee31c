"""Context and position rules: menus, headers and footers around the article go; the
article's title, headings, short list items and non-English text stay."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import BoilerplateStripper
from cleaners.config import Config
from cleaners.layout import _quantity_lists, layout_rules

CONFIG = Config.load().boilerplate
strip = BoilerplateStripper(CONFIG)

NAV = ["Home", "World", "Politics", "Business", "Science", "Sport", "Culture", "Opinion"]
ARTICLE = [
    "Ceasefire Talks Resume in Geneva",
    "",
    "Delegations from both sides arrived in Geneva on Monday for a new round of talks, "
    "officials said, after a pause of two weeks that followed the collapse of the last round.",
    "The talks are expected to last until Friday, and both delegations have said that they "
    "will not leave the table before a first agreement on prisoners is reached.",
    "What is on the table",
    "Three points are open:",
    "prisoner exchanges",
    "a corridor for aid",
    "the monitoring mission",
    "Observers from the United Nations will attend every session, a spokesperson said, and a "
    "summary will be published after each day of negotiations in the Swiss city.",
    "Previous rounds broke down over the order of the steps: one side wanted the prisoners "
    "first, the other the corridor, and neither would move until the mediators proposed to "
    "take both at once.",
    "Families of the prisoners gathered outside the hotel on Monday evening, holding pictures "
    "of their relatives and asking the negotiators not to leave Geneva without an agreement.",
    "The mediators have kept the agenda short on purpose, one of them told reporters, because "
    "every earlier attempt to settle all questions at once ended in a walkout before the end "
    "of the first week.",
    "A second round is already planned for the spring if this one ends with a first "
    "agreement, and both capitals have said that they would send the same delegations back.",
]
FOOTER = [
    "Related",
    "Markets fall on rate fears",
    "Storm hits the north coast",
    "About us | Contact | Privacy",
    "Sign up for our newsletter to get the latest news in your inbox every morning.",
]
GERMAN = [
    "Die Gespräche in Genf werden am Montag fortgesetzt, nachdem die Delegationen zwei Wochen "
    "lang pausiert hatten, wie Beamte mitteilten.",
    "Beide Seiten wollen bis Freitag verhandeln und erst dann abreisen, wenn eine erste "
    "Einigung über den Austausch von Gefangenen erreicht ist.",
    "Was auf dem Tisch liegt",
    "Beobachter der Vereinten Nationen nehmen an jeder Sitzung teil, sagte eine Sprecherin, und "
    "nach jedem Verhandlungstag wird eine Zusammenfassung veröffentlicht.",
    "Frühere Runden waren an der Reihenfolge der Schritte gescheitert: Die eine Seite wollte "
    "zuerst die Gefangenen, die andere den Korridor, und keine bewegte sich, bis die Vermittler "
    "vorschlugen, beides zugleich zu verhandeln.",
    "Angehörige der Gefangenen versammelten sich am Montagabend vor dem Hotel, hielten Bilder "
    "ihrer Verwandten hoch und baten die Unterhändler, Genf nicht ohne eine Einigung zu "
    "verlassen.",
    "Die Vermittler haben die Tagesordnung mit Absicht kurz gehalten, sagte einer von ihnen, "
    "weil jeder frühere Versuch, alle Fragen auf einmal zu lösen, vor dem Ende der ersten "
    "Woche mit einem Abbruch geendet hatte.",
    "Eine zweite Runde ist bereits für das Frühjahr geplant, wenn diese mit einer ersten "
    "Einigung endet, und beide Hauptstädte wollen dieselben Delegationen zurückschicken.",
]


def rules_of(lines):
    return {lines[i]: rule for i, rule in layout_rules(lines, CONFIG.layout).items()}


def test_menus_above_and_footer_below_go_article_stays():
    page = ["Ceasefire Talks Resume in Geneva - Daily Planet", *NAV, *ARTICLE, *FOOTER]
    rules = rules_of(page)
    assert {line for line, rule in rules.items() if rule == "boilerplate.top_block"} == {
        page[0],
        *NAV,
    }
    assert {line for line, rule in rules.items() if rule == "boilerplate.bottom_block"} == set(
        FOOTER
    )
    cleaned = strip("\n".join(page)).text.split("\n")
    assert [line for line in cleaned if line] == [line for line in ARTICLE if line]


def test_without_a_title_line_headings_right_above_the_article_stay():
    page = [*NAV, "", "Geneva", "", "By Anna Berg", "", *ARTICLE[2:], *FOOTER]
    cleaned = strip("\n".join(page)).text.split("\n")
    assert cleaned[:3] == ["Geneva", "", "By Anna Berg"]
    assert not set(NAV) & set(cleaned)


def test_non_english_article_stays():
    page = [*NAV, *GERMAN, *FOOTER[:3]]
    cleaned = strip("\n".join(page)).text.split("\n")
    assert [line for line in cleaned if line] == GERMAN


def test_short_documents_are_left_to_the_phrase_rules():
    lines = [*NAV[:3], ARTICLE[2], *NAV[3:6]]
    assert layout_rules(lines, CONFIG.layout) == {}


def test_layout_can_be_switched_off():
    page = [*NAV, *ARTICLE, *FOOTER]
    off = Config.load(boilerplate={"layout": {"enabled": False}}).boilerplate
    assert BoilerplateStripper(off)("\n".join(page)).text == "\n".join(page)
    assert strip("\n".join(page), layout=False).text == "\n".join(page)


WORDS = st.sampled_from(
    """the a of to and in that peace talks officials said minister would after before city
    people were have been on with by from court report market Monday weather school""".split()
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=25).map(lambda w: " ".join(w).capitalize() + ".")
PROSE = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
MENU = st.lists(st.sampled_from(NAV + FOOTER[:4]), min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(st.lists(PROSE, min_size=1, max_size=30))
def test_a_document_of_sentences_loses_nothing(lines):
    assert layout_rules(lines, CONFIG.layout) == {}
    assert strip("\n".join(lines)).text == "\n".join(lines)


PAGE = st.tuples(MENU, st.lists(st.one_of(PROSE, MENU.map(" ".join)), max_size=20), MENU).map(
    lambda parts: "\n".join([*parts[0], *parts[1], *parts[2]])
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(PAGE, st.lists(st.one_of(PROSE, st.text()), max_size=20).map("\n".join)))
def test_idempotent_and_never_raises(text):
    once = strip(text).text
    assert strip(once).text == once


def test_a_page_without_a_clear_article_is_left_alone():
    poem = ["Roses in the rain", "a window left open", "the kettle sings", "nobody home"] * 3
    form = "Your email address will not be published, and you can leave a comment below here."
    page = [*NAV, *poem, form, *FOOTER[:3]]
    assert layout_rules(page, CONFIG.layout) == {}
    strict = Config.load(boilerplate={"layout": {"min_article_score": 0}}).boilerplate.layout
    assert set(poem) <= {page[i] for i in layout_rules(page, strict)}


COMMENTS = [
    "3 Comments",
    "Anna says:",
    "I read every word of this and I agree with most of what the author wrote here today.",
    "Reply",
    "Ben says:",
    "Thank you for writing about the talks, I was waiting for a report that explains it well.",
]


def test_a_footer_heading_below_the_article_ends_it():
    page = [*NAV, "", *ARTICLE, "", "Comments", "", *COMMENTS[1:]]
    cleaned = strip("\n".join(page))
    assert [line for line in cleaned.text.split("\n") if line] == [line for line in ARTICLE if line]
    footer = {c.removed for c in cleaned.changes if c.rule == "boilerplate.footer_block"}
    assert {COMMENTS[1], COMMENTS[2], COMMENTS[5]} <= footer  # "Comments" itself: a phrase
    counted = strip("\n".join([*NAV, "", *ARTICLE, *COMMENTS])).text
    assert COMMENTS[0] not in counted and COMMENTS[2] not in counted


def test_a_footer_heading_high_up_the_article_ends_nothing():
    # a "Related" box after the first paragraphs, with most of the article below it
    page = [*NAV, *ARTICLE[:4], "Related", "Markets fall on rate fears", *ARTICLE[9:]]
    kept = strip("\n".join(page)).text.split("\n")
    assert all(line in kept for line in ARTICLE[9:])


def test_a_list_of_quantities_inside_the_article_stays():
    ingredients = ["350 g sugar", "500 ml milk", "4 tbsp cocoa", "2 eggs", "1 pinch of salt"]
    ingredients += ["200 g dark chocolate", "20 g mini marshmallows"]
    page = [*NAV, "", *ARTICLE[:4], "", "Ingredients", "", *ingredients, "", *ARTICLE[9:]]
    kept = strip("\n".join(page)).text.split("\n")
    assert all(line in kept for line in ingredients)
    assert not set(NAV) & set(kept)


def test_a_run_of_exactly_quantity_run_data_lines_weighs_nothing_and_a_shorter_one_counts():
    """The bound a page is let off at (fewer data lines than a run) is the run's own."""
    config = Config.load().boilerplate.layout
    n = config.quantity_run
    lines = ["Ingredients", *[f"{k + 1} g sugar" for k in range(n)], "Share this"]
    rows, scores = list(range(len(lines))), [-1.0] * len(lines)
    out, items = _quantity_lists(rows, lines, scores, config)
    assert items == set(range(1, n + 1))
    assert out == [-1.0, *[0.0] * n, -1.0]
    short, m = lines[:n] + lines[-1:], n + 1  # one data line fewer
    assert _quantity_lists(rows[:m], short, scores[:m], config) == (scores[:m], set())


def test_a_footer_heading_followed_by_sentences_only_ends_nothing():
    page = [*NAV, "", *ARTICLE, "", "Comments", "", COMMENTS[2], COMMENTS[5]]
    kept = strip("\n".join(page)).text.split("\n")
    assert COMMENTS[2] in kept and COMMENTS[5] in kept


MUSEUM = [
    "The museum on the lake shows the boats of the old fishermen of the region, and a guide "
    "takes visitors through the halls every Sunday morning at ten.",
    "",
    "Opening hours",
    "Tuesday to Sunday",
    "10 to 18",
]


def test_without_a_clear_article_only_long_runs_of_chrome_go():
    # one paragraph is too little to judge the short lines around it: a block of three short
    # lines stays (opening hours), a run of eight menu lines goes
    page = [*NAV, "", *MUSEUM]
    rules = rules_of(page)
    assert rules == dict.fromkeys(NAV, "boilerplate.menu_run")
    kept = strip("\n".join(page)).text.split("\n")
    assert [line for line in kept if line] == [line for line in MUSEUM if line]


def test_without_any_article_the_page_is_kept():
    page = [*NAV, "", "Opening hours", "Tuesday to Sunday", "10 to 18"]
    assert rules_of(page) == {}


def test_a_fact_box_of_label_value_lines_is_the_articles():
    facts = ["Colour: green", "Thickener: lithium soap", "Penetration: 220 - 250"]
    facts += ["Temperature range: -40 to +120 °C", "Sizes: 12 ml, 125 ml, 450 ml"]
    page = [*NAV, "", *ARTICLE, "", *facts, "", *FOOTER[3:]]
    kept = strip("\n".join(page)).text.split("\n")
    assert all(line in kept for line in facts)
    assert not set(NAV) & set(kept)


def test_a_fact_box_right_below_the_article_is_the_articles():
    facts = ["Colour: green", "Thickener: lithium soap", "Penetration: 220 - 250"]
    page = [*NAV, "", *ARTICLE, "", *facts, "", "About us | Contact | Privacy"]
    kept = strip("\n".join(page)).text.split("\n")
    assert all(line in kept for line in facts)
    assert "About us | Contact | Privacy" not in kept
