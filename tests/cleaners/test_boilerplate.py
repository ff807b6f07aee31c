import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import BoilerplateStripper, normalise_line, vocabulary_overlap
from cleaners.config import Config
from cleaners.line_features import words

strip = BoilerplateStripper(Config.load().boilerplate)

ARTICLE = [
    "Ceasefire Talks Resume in Geneva",
    "Negotiators return after a two-week pause.",
    "",
    "Delegations from both sides arrived on Monday, officials said.",
    "The talks are expected to last until Friday.",
]


def removed(text, title=None):
    return [
        (c.rule, c.removed)
        for c in strip(text, title=title).changes
        if c.rule != "boilerplate.blank_lines"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "What's Your Reaction?",
        "What’s Your Reaction?",
        "Back To Top",
        "Share this:",
        "Facebook Twitter WhatsApp",
        "© 2024 Daily Planet. All rights reserved.",
        "Tags: ukraine, peace, talks",
        "Teilen Sie dies mit:",
        "Gefällt mir Wird geladen...",
        "Ähnliche Beiträge",
        "Kommentar verfassen Antwort abbrechen",
        "Lea también: Impiden ingreso a Nicaragua a reportero estadounidense",
        "Czytaj też: Wyścig zbrojeń ruszył z kopyta",
        "© 2022, BreakingBelizeNews.com. This article is the copyrighted property of Breaking "
        "Belize News. It may not be reproduced without permission.",
        "Foto: Sascha Klahn",  # photo credits
        "Photo: Ashraf Amra/Anadolu via Getty Images",
        "Previous article Markets fall on rate fears",  # links to the next or previous post
        "« Vorheriger Beitrag",
        "Article suivant Après une mise en quarantaine, les joueurs reprennent",
        "Siehe auch",  # section labels and form fields
        "Externer Inhalt",
        "Kategorien",
        "Pour approfondir",
        "PUEDES VER: ¿Qué dijo el ministro sobre las vacaciones?",
        "Dowiedz się więcej: Kto jak głosował w sprawie ustawy?",
        "Weiterlesen » Die Gespräche in Genf gehen weiter",
    ],
)
def test_boilerplate_lines_go(line):
    text = "\n".join([*ARTICLE, "", line])
    assert strip(text).text == "\n".join(ARTICLE)
    assert [r for _, r in removed(text)] == [line]


@pytest.mark.parametrize(
    "line",
    [
        "Leave a reply below, the editor wrote in the final note of the thread.",
        "Readers asked us to share this story with their families.",
        "Back to top form, the striker scored twice on Sunday.",
        "Copyright law is changing fast in Europe.",
        "What is your reaction to the new law?",
        "Lea también la entrevista completa en nuestra edición impresa.",
        "Kommentare von Lesern haben die Redaktion am Montag erreicht.",
        "Teilen ist für viele Familien in der Stadt längst Alltag.",
        "The photo: a crowd outside the hotel",  # a caption, not a credit label
        "Next week the talks will resume in Geneva",  # "next" not followed by "article"
        "Nächster Anruf in Kiel: niemand geht ans Telefon",
    ],
)
def test_prose_that_mentions_a_phrase_stays(line):
    text = "\n".join([*ARTICLE, line])
    assert strip(text).text == text


def test_reaction_labels_after_the_widget_header_go_but_not_elsewhere():
    text = "\n".join([*ARTICLE, "What's Your Reaction?", "Like", "Love 3", "Sad"])
    assert strip(text).text == "\n".join(ARTICLE)
    poem = "\n".join(["Love", "is patient, love is kind."])
    assert strip(poem).text == poem


def test_slug_repeating_the_title_goes():
    slug = "Ceasefire_Talks_Resume_in_Geneva"
    assert removed("\n".join([slug, *ARTICLE])) == [("boilerplate.slug", slug)]
    assert removed(
        "\n".join(["ceasefire-talks-resume-geneva", *ARTICLE[1:]]), title=ARTICLE[0]
    ) == [("boilerplate.slug", "ceasefire-talks-resume-geneva")]


def test_a_slug_with_spaces_around_it_goes_and_one_with_a_space_inside_stays():
    slug = "  ceasefire-talks-resume-geneva\t"
    assert removed("\n".join([slug, *ARTICLE[1:]]), title=ARTICLE[0]) == [
        ("boilerplate.slug", slug)
    ]
    spaced = "ceasefire-talks resume-geneva"
    assert removed("\n".join([spaced, *ARTICLE[1:]]), title=ARTICLE[0]) == []


@pytest.mark.parametrize(
    ("heading", "is_its_slug"),
    [
        ("Talks Resume Geneva", True),  # as many words as the slug: the fewest a heading has
        ("Talks Resume in Geneva on Friday", True),  # twice as many: the most
        ("Talks Resume in Geneva on Friday Morning", False),  # one more
        ("Talks Geneva", False),  # fewer words than the slug
    ],
)
def test_a_slugs_heading_has_as_many_words_to_twice_as_many(heading, is_its_slug):
    """The heading lines of a slug are counted before they are tokenised: the bounds."""
    slug = "talks-resume-geneva"
    text = "\n".join([slug, heading, *ARTICLE[1:]])
    assert (("boilerplate.slug", slug) in removed(text)) is is_its_slug


def test_underscored_line_that_repeats_nothing_stays():
    text = "\n".join(["snake_case_variable_name", *ARTICLE])
    assert strip(text).text == text


def test_trailing_tag_spam_goes():
    tags = "geneva ceasefire talks delegations Friday officials negotiators pause Monday"
    assert removed("\n".join([*ARTICLE, tags])) == [("boilerplate.tag_spam", tags)]


@pytest.mark.parametrize(
    "last",
    [
        "Die Gespräche sollen bis Freitag dauern",  # non-English last line without a full stop
        "Officials Said The Talks Would Last Until Friday",  # a heading-like line
        "The talks are expected to last until Friday",  # prose without a full stop
        "geneva ceasefire talks",  # too short to call spam
    ],
)
def test_trailing_lines_that_are_not_spam_stay(last):
    text = "\n".join([*ARTICLE, last])
    assert strip(text).text == text


def test_tag_spam_only_at_the_end():
    tags = "geneva ceasefire talks delegations Friday officials negotiators pause Monday"
    text = "\n".join([*ARTICLE[:3], tags, *ARTICLE[3:]])
    assert strip(text).text == text


def plain_vocabulary_overlap(lines, i, doomed):
    """The share of line i's words that another line not doomed uses, from the set of all
    their words (as tag spam's overlap was first written)."""
    lowered = [w.lower() for w in words(lines[i])]
    vocabulary = {
        w.lower()
        for j, other in enumerate(lines)
        if j != i and j not in doomed
        for w in words(other)
    }
    return sum(t in vocabulary for t in lowered) / len(lowered)


# Keyword lines and article lines over a few words, so that a line's words are often all,
# some or none of the other lines' (the overlap's threshold is 0.6)
# (words over 8 bytes, capitals, ' and . inside, words outside ASCII: lines the compiled
# scan takes and lines it leaves to the regexes)
KEYWORDS = st.lists(
    st.sampled_from(
        "geneva talks ceasefire Friday pause delegations zzq qwerty NEGOTIATIONS"
        " negotiations o'neill u.s. Überwachung über straße STRASSE".split()
    ),
    min_size=6,
    max_size=10,
).map(" ".join)
OTHER_LINES = st.lists(
    st.one_of(KEYWORDS, st.sampled_from(ARTICLE), st.just(""), KEYWORDS.map("“{}” —".format)),
    min_size=0,
    max_size=8,
)


@settings(max_examples=1000, deadline=None)
@given(OTHER_LINES, KEYWORDS, st.sets(st.integers(0, 7)))
def test_vocabulary_overlap_scanned_at_once_is_the_vocabularys(others, last, doomed):
    """Tag spam's share of the last line's words that the other lines use: what the set of
    every other line's words gives (line i itself and doomed lines do not count)."""
    lines = [*others, last]
    for i in {len(lines) - 1, 0} - {j for j, line in enumerate(lines) if not words(line)}:
        expected = plain_vocabulary_overlap(lines, i, doomed)
        assert vocabulary_overlap(lines, i, doomed) == expected


def test_title_and_subtitle_are_content():
    assert strip("\n".join(ARTICLE)).text == "\n".join(ARTICLE)


def test_blank_line_runs_are_squeezed():
    text = "\n\nFirst paragraph.\n\n\n\nSecond paragraph.\n\n\n"
    cleaned = strip(text)
    assert cleaned.text == "First paragraph.\n\nSecond paragraph."
    assert {c.rule for c in cleaned.changes} == {"boilerplate.blank_lines"}


def test_extra_phrases_from_config():
    config = Config.load(boilerplate={"extra_phrases": ["Subscribe for $1"]}).boilerplate
    text = "\n".join([*ARTICLE, "Subscribe for $1!"])
    assert BoilerplateStripper(config)(text).text == "\n".join(ARTICLE)


WORDS = st.sampled_from(
    """the a of to and in that peace talks officials said minister would after before city
    people were have been on with by from court report market Monday weather school share
    reply top back like comment email reaction""".split()
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=25).map(lambda w: " ".join(w).capitalize() + ".")
PROSE_LINE = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
BOILERPLATE = st.sampled_from(["Leave a Reply", "Back To Top", "What's Your Reaction?", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PROSE_LINE, BOILERPLATE), min_size=1, max_size=15))
def test_prose_lines_are_never_removed(lines):
    kept = strip("\n".join(lines)).text.split("\n")
    for line in lines:
        if line.endswith("."):
            assert line in kept


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PROSE_LINE, BOILERPLATE, st.text()), max_size=12).map("\n".join))
def test_idempotent_and_never_raises(text):
    once = strip(text).text
    assert strip(once).text == once


def fresh_and_shared(texts, titles=None):
    """Each page cleaned by a stripper of its own, and all pages by one (whose line memos
    carry over from page to page): the fast path must give exactly the plain one's output."""
    config = Config.load().boilerplate
    titles = titles or [None] * len(texts)
    shared = BoilerplateStripper(config)
    return (
        [BoilerplateStripper(config)(t, title=h) for t, h in zip(texts, titles, strict=True)],
        [shared(t, title=h) for t, h in zip(texts, titles, strict=True)],
    )


def test_line_memos_carried_across_a_sites_pages_change_no_output(generated_site_corpus):
    docs, _ = generated_site_corpus
    texts = [d["text"] for d in docs]
    fresh, shared = fresh_and_shared(texts)
    assert shared == fresh
    assert sum(len(c.changes) for c in fresh) > len(texts)  # the rules did fire


GERMAN_WORDS = (
    "der die das und ist nicht mit auf für von dem den ein eine zu sich im auch es an aus er "
    "hat dass sie nach wird bei einer um am sind noch wie über so zum war haben nur oder aber "
    "Regierung Stadt Brücke Polizei Montag Sommer Verkehr Bürgermeister Schule Bahnhof Wetter"
).split()
GERMAN_LINE = st.lists(st.sampled_from(GERMAN_WORDS), min_size=10, max_size=18).map(" ".join)
UNENDED = st.lists(st.sampled_from(GERMAN_WORDS), min_size=10, max_size=14).map(" ".join)


def page(lines: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """8-14 lines of one language, some of them ending with a full stop, plus lines that
    pages of the other language have too (long lines without punctuation: their score
    depends on the page's language)."""
    body = st.lists(st.tuples(lines, st.booleans()), min_size=8, max_size=14).map(
        lambda items: [line + "." if stop else line for line, stop in items]
    )
    shared = st.lists(st.one_of(UNENDED, BOILERPLATE), max_size=4)
    return st.tuples(body, shared, st.randoms()).map(
        lambda parts: "\n".join(parts[2].sample(parts[0] + parts[1], len(parts[0] + parts[1])))
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(page(PROSE_LINE), page(GERMAN_LINE)), min_size=2, max_size=6))
def test_line_memos_carried_across_pages_change_no_output_on_any_pages(texts):
    """Pages of English and of German sharing lines: a line's score depends on the page's
    language, so memos carried over must be kept per language."""
    fresh, shared = fresh_and_shared(texts)
    assert shared == fresh


def test_line_memos_that_start_again_change_no_output(generated_site_corpus, monkeypatch):
    import cleaners.boilerplate

    monkeypatch.setattr(cleaners.boilerplate, "_MEMO_LINES", 50)  # restarts every page or so
    texts = [d["text"] for d in generated_site_corpus[0][:60]]
    fresh, shared = fresh_and_shared(texts)
    assert shared == fresh


GERMAN_ARTICLE = [
    "Gespräche in Genf",
    "Die Delegationen sind am Montag in Genf eingetroffen, um die Gespräche über den Austausch "
    "der Gefangenen fortzusetzen, wie die Vermittler mitteilten.",
    "Beide Seiten wollen bis Freitag verhandeln und erst dann abreisen, wenn eine erste Einigung "
    "über den Korridor und die Gefangenen erreicht ist.",
]


def test_trailing_german_prose_without_full_stop_is_not_tag_spam():
    # few English function words, but many German ones: a sentence (a photo credit glued on)
    last = (
        "Die Vermittler wollen die Gespräche über die Gefangenen bis Freitag fortsetzen Foto: dpa"
    )
    text = "\n".join([*GERMAN_ARTICLE, last])
    assert strip(text).text == text


def test_trailing_german_keywords_are_tag_spam():
    tags = "Genf Gespräche Delegationen Gefangenen Korridor Vermittler Einigung Freitag"
    assert removed("\n".join([*GERMAN_ARTICLE, tags])) == [("boilerplate.tag_spam", tags)]


def test_trailing_command_line_is_not_tag_spam():
    article = [
        "Autotuning abschalten",
        "Mit diesem Befehl schaltet man das Autotuning von Windows ab, wenn das Netz langsam ist.",
        "netsh interface tcp set global autotuninglevel=disabled",
        "Mit diesem Befehl schaltet man es wieder ein:",
    ]
    last = "netsh interface tcp set global autotuninglevel=normal"
    text = "\n".join([*article, last])
    assert strip(text).text == text


APOSTROPHE_TEXT = st.text(
    alphabet=st.sampled_from("\u2019\u2018\u02bc\u00a0'a B\t\u2028é") | st.characters()
)
# ASCII with every whitespace character str.split knows there, for the single-spaced fast path
ASCII_SPACED_TEXT = st.text(alphabet=st.sampled_from("aB. \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x7f"))


@settings(max_examples=1000)
@given(APOSTROPHE_TEXT | ASCII_SPACED_TEXT)
def test_normalise_line_is_the_translate_table_it_replaces(line):
    """The fast paths of normalise_line (str.replace for the apostrophes, a single-spaced
    ASCII line only lowercased) give what str.translate and a split gave."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " "})
    assert normalise_line(line) == " ".join(line.translate(table).lower().split())


@pytest.mark.parametrize(
    "line",
    [
        "Delegates arrive at the Palais des Nations in Geneva. © Jane Doe / Agence Exemple",
        "Die Delegationen vor dem Palais des Nations © Max Muster | dpa",
        "Negotiators leave the building on Monday. Photo: AP",
        "Die Delegationen am Montag in Genf. Foto: Max Muster/Agentur",
        "A delegate speaks to reporters, Monday, in Geneva. (AP Photo/Jane Doe)",
        "The building on the lake shore (REUTERS/Jane Doe)",
        "Photograph by Jane Doe, Example Agency",
    ],
)
def test_image_captions_with_their_credit_go(line):
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [("boilerplate.caption", line)]


@pytest.mark.parametrize("layout", [True, False])
def test_a_caption_is_short_with_the_layout_rules_or_without(layout):
    """Without the layout rules (text trafilatura extracted) a line's words are counted
    without its other facts: the same count, so the same captions go and the same stay."""
    most = Config.load().boilerplate.caption_max_words
    credit = "Photo: Jane Doe/Agency"
    short = " ".join(["word"] * (most - len(words(credit)))) + f". {credit}"
    long = f"word {short}"
    assert len(words(short)) == most
    text = "\n".join([*ARTICLE, "", short, "", long])
    fresh = BoilerplateStripper(Config.load().boilerplate)  # nothing memoised by another call
    changes = fresh(text, layout=layout).changes
    assert [(c.rule, c.removed) for c in changes if c.rule == "boilerplate.caption"] == [
        ("boilerplate.caption", short)
    ]


@pytest.mark.parametrize(
    "line",
    [
        "The © sign marks what the owners claim, and the court agreed with them.",
        "The photographer said: nothing",  # "said:" is no credit label
        "Prices rose sharply (yes/no questions were asked)",
        "The agency wrote (Reuters/Ipsos poll) that most voters agree.",
    ],
)
def test_lines_that_merely_look_like_credits_stay(line):
    text = "\n".join([*ARTICLE, line])
    assert strip(text).text == text


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for our newsletter and get the latest news from Geneva.",
        "Enter your email address to follow this blog and receive notifications of new posts.",
        "The best stories of the week, delivered straight to your inbox.",
        "Mit unserem Newsletter erhalten Sie jeden Freitag alle Neuigkeiten aus Genf!",
        "Subscribe now for the full story.",
    ],
)
def test_newsletter_prompts_go(line):
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [("boilerplate.prompt", line)]


def test_a_paragraph_about_newsletters_between_paragraphs_stays():
    paragraph = "Delegations from both sides arrived on Monday and met for hours, officials said."
    about = "The mediators send a newsletter to every delegation, which reads it over breakfast."
    text = "\n".join(
        [ARTICLE[0], "", paragraph, "", about, "", paragraph.replace("Monday", "Friday")]
    )
    assert strip(text).text == text
    short = text.replace(about, "Get our weekly newsletter.")
    assert removed(short) == [("boilerplate.prompt", "Get our weekly newsletter.")]


def test_prompt_longer_than_the_limit_stays():
    line = "Sign up for our newsletter " + " ".join(["and read"] * 25) + "."
    config = Config.load().boilerplate
    assert len(line.split()) > config.prompt_max_words
    text = "\n".join([*ARTICLE, line])
    assert strip(text).text == text


@pytest.mark.parametrize(
    "line",
    [
        "Die Inhalte dieser Website stehen unter einer Creative Commons-Lizenz.",
        "All texts of this blog are licensed under a Creative Commons Attribution 4.0 licence.",
        "Für Links auf dieser Seite erhält Beispielportal ggf. eine Provision vom Händler.",
        "Advertising disclosure: We may receive compensation for some of the links in our stories.",
        "This post may contain affiliate links.",
        "If you disable this cookie, we will not be able to save your preferences.",
        "Wir respektieren deine Privatsphäre und laden keine Inhalte von Drittanbietern.",
        "Thank you for visiting example.org. You are using a browser version with limited support.",
        "Dein Browser ist leider veraltet.",
    ],
)
def test_site_notices_go(line):
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [("boilerplate.notice", line)]


@pytest.mark.parametrize(
    "line",
    [
        "The licence lets anyone reuse a work, and Creative Commons licences come in six kinds.",
        "Ohne Aussicht auf eine Provision arbeitet kein Vertreter gern, sagte die Sprecherin.",
        "The commission may receive compensation claims from the two tribes until Friday.",
        "Cookies are small files, and the court said that browsers must ask before storing them.",
        "Students raised worries about their privacy at the town hall meeting.",
    ],
)
def test_sentences_about_licences_cookies_and_commissions_stay(line):
    text = "\n".join([*ARTICLE, line])
    assert strip(text).text == text


def test_a_creative_commons_credit_ends_a_caption():
    line = "Delegates in front of the Palais des Nations. Foto: Jane Doe | flickr | CC BY-SA 2.0"
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [("boilerplate.caption", line)]
    field = "Lizenz: CC-BY 4.0"  # a licence field, not a caption
    assert strip("\n".join([*ARTICLE, field])).text == "\n".join([*ARTICLE, field])


@pytest.mark.parametrize(
    "line",
    [
        "This entry was posted in Allgemein. Bookmark the permalink.",
        "Der Beitrag wurde am Montag, den 3. Juni 2024 um 10:15 Uhr veröffentlicht und wurde "
        "unter Reisen abgelegt.",
        "Veröffentlicht am 3. Juni 2024 von Max Muster — Hinterlasse eine Antwort",
        "Votre adresse de messagerie ne sera pas publiée. Les champs obligatoires sont indiqués",
        "eMail (erforderlich) (wird nicht veröffentlicht)",
        "Sie müssen sich anmelden um Kommentare zu schreiben.",
        "There are 0 comments. Add yours.",
        "Les opinions exprimées dans les blogs du Journal Exemple n'engagent que leurs auteurs.",
        "We want to hear what you think about this article. Submit a letter to the editor.",
        "Vous avez lu 1 des 4 articles gratuits ce mois-ci.",
    ],
)
def test_blog_and_news_template_lines_go(line):
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [("boilerplate.pattern", line)]


@pytest.mark.parametrize(
    "line",
    [
        "Der Vertreter erhält dafür eine Provision, sagte die Sprecherin am Montag.",
        "The farmers said we may receive compensation from the state after the floods.",
        "Users can disable cookies in the settings, the regulator explained on Monday.",
        "Your browser is the gateway to the web, and it will soon warn before such downloads.",
        "Older browsers are slower, the testers found.",
    ],
)
def test_sentences_that_merely_name_commissions_cookies_or_browsers_stay(line):
    text = "\n".join([*ARTICLE, line])
    assert strip(text).text == text


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("13 Besucher sind online (8 Besucher halten sich im Bereich News auf.)", "pattern"),
        ("4 Min Read", "pattern"),
        ("Schlagwörter: Genf, Verhandlungen", "pattern"),
        ("Empfiehl dies deinen Freunden.", "pattern"),
        ("Gefällt Ihnen dieser Artikel?", "pattern"),
        ("Pressemitteilung als PDF", "pattern"),
        ("Read the latest from Jane Doe", "pattern"),
        ("Über Max Muster 120 Artikel", "pattern"),
        ("Bitte registrieren Sie sich und halten Sie sich an unsere Netiquette.", "pattern"),
        ("Rezept drucken Bei Pinterest speichern", "phrase"),
        ("Zum Rezept Drucken Pinnen", "phrase"),
    ],
)
def test_template_widgets_and_prompts_go(line, rule):
    text = "\n".join([*ARTICLE, "", line])
    assert removed(text) == [(f"boilerplate.{rule}", line)]
