"""The HTML allow-list: what survives of remote HTML, and how plain text becomes HTML."""

from __future__ import annotations

import pytest

from content.sanitize import clean_html, render_plain_text

REL = 'rel="nofollow noopener noreferrer"'


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<style>body { display: none }</style>",
        '<img src="x" onerror="alert(1)">',
        '<iframe src="https://evil.example"></iframe>',
        '<svg onload="alert(1)"></svg>',
        '<form action="https://evil.example"><input name="password"></form>',
    ],
)
def test_dangerous_elements_do_not_survive(markup: str) -> None:
    cleaned = clean_html(f"<p>before</p>{markup}<p>after</p>")

    assert cleaned.startswith("<p>before</p>")
    assert cleaned.endswith("<p>after</p>")
    for tag in ("<script", "<style", "<img", "<iframe", "<svg", "<form", "<input"):
        assert tag not in cleaned.lower()


def test_event_handlers_and_styles_are_stripped_from_allowed_tags() -> None:
    assert clean_html('<p onclick="steal()" style="color:red" id="x">hi</p>') == "<p>hi</p>"
    assert clean_html('<span class="h-card" onmouseover="x()">@ada</span>') == (
        '<span class="h-card">@ada</span>'
    )


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "vbscript:x"],
)
def test_links_to_scripts_lose_their_href(href: str) -> None:
    assert clean_html(f'<a href="{href}">click</a>') == f"<a {REL}>click</a>"


@pytest.mark.parametrize(
    "href", ["https://example.org/", "http://example.org/", "mailto:ada@example.org"]
)
def test_ordinary_links_are_kept(href: str) -> None:
    assert clean_html(f'<a href="{href}">x</a>') == f'<a href="{href}" {REL}>x</a>'


def test_every_link_gets_a_safe_rel_and_no_target() -> None:
    cleaned = clean_html(
        '<a href="https://example.org" rel="me" target="_blank" class="mention">@ada</a>'
    )

    assert cleaned == f'<a href="https://example.org" {REL} class="mention">@ada</a>'


def test_a_link_inside_code_still_gets_a_safe_rel() -> None:
    cleaned = clean_html('<pre><a href="https://example.org" rel="me">x</a></pre>')

    assert cleaned == f'<pre><a href="https://example.org" {REL}>x</a></pre>'


def test_bare_urls_in_remote_html_are_linked_except_in_code() -> None:
    assert clean_html("<p>see https://example.org/x</p>") == (
        f'<p>see <a href="https://example.org/x" {REL}>https://example.org/x</a></p>'
    )
    assert clean_html("<code>https://example.org/x</code>") == (
        "<code>https://example.org/x</code>"
    )


def test_allowed_formatting_survives_and_other_tags_leave_their_text() -> None:
    markup = "<p><strong>a</strong> <em>b</em> <del>c</del></p><ul><li>d</li></ul><h1>e</h1>"

    assert clean_html(markup) == (
        "<p><strong>a</strong> <em>b</em> <del>c</del></p><ul><li>d</li></ul>e"
    )


def test_comments_are_removed() -> None:
    assert clean_html("<p>a<!-- <script>x</script> -->b</p>") == "<p>ab</p>"


def test_plain_text_is_escaped_not_interpreted() -> None:
    assert render_plain_text('<a href="javascript:x">a & b</a>') == (
        '<p>&lt;a href="javascript:x"&gt;a &amp; b&lt;/a&gt;</p>'
    )


def test_plain_text_links_only_web_addresses() -> None:
    assert render_plain_text("javascript:alert(1) and https://example.org") == (
        f'<p>javascript:alert(1) and <a href="https://example.org" {REL}>https://example.org</a></p>'
    )


def test_a_plain_text_link_in_angle_brackets_ends_at_the_bracket() -> None:
    link = f'<a href="https://example.org/help" {REL}>https://example.org/help</a>'

    assert render_plain_text("<https://example.org/help>") == f"<p>&lt;{link}&gt;</p>"


def test_script_and_style_are_removed_with_their_contents() -> None:
    assert clean_html("<style>p{color:red}</style><p>hi<script>alert(1)</script></p>") == (
        "<p>hi</p>"
    )


def test_only_microformat_and_mention_classes_survive() -> None:
    kept = '<span class="h-card"><a class="u-url mention" href="https://a.example/@x">@x</a></span>'
    assert 'class="u-url mention"' in clean_html(kept)
    assert "quick-exit" not in clean_html('<a class="quick-exit" href="https://a.example">x</a>')


def test_hashtags_in_plain_text_link_to_their_tag_page() -> None:
    html = render_plain_text(
        "Free #PrEP clinic, see https://example.org/info#hours (not #1, not a#b)",
        tag_url="https://harbour.test/tags/",
    )
    assert html == (
        '<p>Free <a href="https://harbour.test/tags/prep" class="mention hashtag" rel="tag">'
        "#<span>PrEP</span></a> clinic, see "
        f'<a href="https://example.org/info#hours" {REL}>https://example.org/info#hours</a>'
        " (not #1, not a#b)</p>"
    )
