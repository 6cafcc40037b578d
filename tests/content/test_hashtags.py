"""Which words are hashtags, and the one form they are stored and looked up in."""

from __future__ import annotations

import pytest

from content.hashtags import MAX_PER_POST, hashtags_in, normalise


def test_tags_are_found_once_each_in_their_normal_form() -> None:
    text = "#HarmReduction and #harmreduction, #PrEP2026 #café #Straße_2 end."
    assert hashtags_in(text) == ["harmreduction", "prep2026", "café", "strasse_2"]


@pytest.mark.parametrize("text", ["#1", "#2026", "a#b", "&#39;", "https://x.org/#top", "# tag"])
def test_numbers_fragments_and_entities_are_not_tags(text: str) -> None:
    assert hashtags_in(text) == []


def test_a_post_carries_a_bounded_number_of_tags() -> None:
    assert len(hashtags_in(" ".join(f"#t{n}" for n in range(100)))) == MAX_PER_POST


@pytest.mark.parametrize(
    ("raw", "stored"), [("#PrEP", "prep"), ("ＰｒＥＰ", "prep"), ("x" * 101, None)]
)
def test_names_from_urls_and_remote_servers_are_normalised(raw: str, stored: str | None) -> None:
    assert normalise(raw) == stored
