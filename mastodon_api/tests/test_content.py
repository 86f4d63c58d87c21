"""Text rendered as Mastodon's HTML."""

from mastodon_api.content import render_html


def tag(name):
    return f"https://site/tags/{name.lower()}"


def render(text, mentions=()):
    return render_html(text, mentions=mentions, tag_url=tag)


def test_plain_text_is_escaped_in_a_paragraph():
    assert render('a <b> & "c"') == '<p>a &lt;b&gt; &amp; "c"</p>'
    assert render("") == ""
    assert render("   \n ") == ""


def test_blank_lines_split_paragraphs_and_single_breaks_are_br():
    assert render("one\ntwo\n\nthree\r\n\r\nfour") == "<p>one<br />two</p><p>three</p><p>four</p>"


def test_mentions_of_known_accounts_are_linked():
    html = render("hi @Bob and @nobody, me@example.com", mentions=[("bob", "https://site/@bob")])
    assert html == (
        '<p>hi <span class="h-card" translate="no"><a href="https://site/@bob" class="u-url mention">'
        "@<span>Bob</span></a></span> and @nobody, me@example.com</p>"
    )


def test_hashtags_follow_the_native_rule():
    html = render("#One a#two (#three)")
    assert html == (
        '<p><a href="https://site/tags/one" class="mention hashtag" rel="tag">#<span>One</span></a> a#two '
        '(<a href="https://site/tags/three" class="mention hashtag" rel="tag">#<span>three</span></a>)</p>'
    )


def test_urls_are_linked_as_mastodon_does():
    html = render("see https://www.example.com/a#frag.")
    assert html == (
        '<p>see <a href="https://www.example.com/a#frag" target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">https://www.</span><span class="">example.com/a#frag</span>'
        '<span class="invisible"></span></a>.</p>'
    )
    long = render("http://example.com/" + "x" * 40)
    assert '<span class="ellipsis">example.com/' in long and '<span class="invisible">xxxx' in long


def test_markup_in_mentions_and_urls_is_escaped():
    html = render('https://e.com/"><script>')
    assert "<script>" not in html


def test_text_html_links_hashtags_on_the_requests_site_and_is_reused(rf, settings):
    from mastodon_api.entities.common import _text_html, text_html

    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    first = text_html(
        "hi #Tea @bob", mentions=[("bob", "https://a.example/@bob")], request=rf.get("/", HTTP_HOST="a.example")
    )
    assert 'href="http://a.example/tags/tea"' in first and 'href="https://a.example/@bob"' in first
    hits = _text_html.cache_info().hits
    assert (
        text_html(
            "hi #Tea @bob", mentions=[("bob", "https://a.example/@bob")], request=rf.get("/", HTTP_HOST="a.example")
        )
        == first
    )
    assert _text_html.cache_info().hits == hits + 1
    other_site = text_html("hi #Tea", request=rf.get("/", HTTP_HOST="b.example"))
    assert 'href="http://b.example/tags/tea"' in other_site
