"""The general rules for a field given as a value, a list, a Link or a language map."""

from __future__ import annotations

from activitypub.jsonld import first_actor, language_value, preferred_link


def test_a_language_map_stands_in_for_a_missing_value() -> None:
    both = {"content": "<p>hi</p>", "contentMap": {"en": "<p>hi</p>"}}
    assert language_value(both, "content") == ("<p>hi</p>", "en")
    only_map = {"contentMap": {"de": "Hallo", "fr": "Salut"}}
    assert language_value(only_map, "content") == ("Hallo", "de")
    assert language_value(only_map, "content", prefer="fr") == ("Salut", "fr")
    assert language_value({"contentMap": {"en": 3}}, "content") == (None, None)
    assert language_value({}, "name") == (None, None)


def test_a_url_as_a_string_a_link_or_a_list() -> None:
    page = "https://video.example/w/1"
    assert preferred_link(page) == page
    assert preferred_link({"type": "Link", "href": page}) == page
    links = [
        {"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://v/1.m3u8"},
        {"type": "Link", "mediaType": "text/html", "href": page},
        {"type": "Link", "mediaType": "video/mp4", "href": "https://v/1.mp4"},
    ]
    assert preferred_link(links) == page
    assert preferred_link(links, "video/") == "https://v/1.mp4"
    assert preferred_link([{"href": 3}, "https://a/b"]) == "https://a/b"
    assert preferred_link(None) is None


def test_the_author_among_several_attributions() -> None:
    person = "https://tube.example/accounts/ann"
    channel = {"type": "Group", "id": "https://tube.example/video-channels/c"}
    assert first_actor([channel, {"type": "Person", "id": person}]) == person
    assert first_actor(person) == person
    assert first_actor(["https://a/1", "https://a/2"]) == "https://a/1"
    assert first_actor([{"type": "Person"}, 7]) is None
