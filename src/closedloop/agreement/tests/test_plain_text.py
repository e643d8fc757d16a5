from closedloop.agreement.plain_text import lines_of, text_render, text_sanitize


def test_sanitize_drops_tags_and_script_content_but_keeps_text():
    assert text_sanitize("<script>alert(1)</script>Hi <b>there</b>") == "Hi there"
    assert text_sanitize("score < 50 & size > 20") == "score < 50 & size > 20"
    assert text_sanitize("a\r\nb  \r\n") == "a\nb"
    assert text_sanitize(None) == ""


def test_render_escapes_then_formats():
    html = str(text_render("**Bold** and *it* and `x >= 1`\n\n- one\n- <two>"))
    assert html == (
        "<p><strong>Bold</strong> and <em>it</em> and <code>x &gt;= 1</code></p>"
        "<ul><li>one</li><li>&lt;two&gt;</li></ul>"
    )


def test_render_never_produces_markup_from_user_text():
    html = str(text_render('<img src=x onerror="alert(1)"> **<a href="javascript:x">y</a>**'))
    assert "<img" not in html and "<a" not in html and "onerror" in html  # shown as text, escaped
    assert "&lt;img" in html


def test_lines_of_responsibilities():
    assert lines_of("- one\n\n* two\nthree\n") == ["one", "two", "three"]
