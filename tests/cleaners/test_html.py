from cleaners.html import extract_html

PAGE = """<html><head><title>Ceasefire talks resume | Daily Planet</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article><h1>Ceasefire talks resume</h1>
<p>Delegations from both sides arrived in Geneva on Monday, officials said, for a new round.</p>
<p>The talks are expected to last until Friday, according to a statement from the mediators.</p>
</article>
<footer><p>Copyright 2024 Daily Planet. All rights reserved.</p></footer></body></html>"""


def test_main_text_and_title_without_menus_and_footer():
    title, text = extract_html(PAGE)
    assert title and "Ceasefire talks resume" in title
    assert "Delegations from both sides arrived in Geneva on Monday" in text
    assert "expected to last until Friday" in text
    assert "Home" not in text.split("\n")
    assert "All rights reserved" not in text


def test_page_without_main_text():
    assert extract_html("<html><body></body></html>").text == ""
