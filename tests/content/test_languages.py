"""Language tags from requests and remote content: standard forms, refusals, and a memory
that does not grow with every made-up tag somebody sends."""

from __future__ import annotations

import langcodes

from content import languages


def test_tags_take_their_standard_form_and_non_tags_are_refused() -> None:
    assert languages.language_tag(" PT-br ") == "pt-BR"
    assert languages.language_tag("ro") == "ro"
    for raw in ("", "*", "x", "ro_RO", "abcdefghi", "e\u202en", "a" * 40, "ro--RO"):
        assert languages.language_tag(raw) is None, raw


def test_a_stream_of_made_up_tags_does_not_grow_memory_for_good() -> None:
    kept = (langcodes.Language._PARSE_CACHE, langcodes.Language._INSTANCES)
    for number in range(languages.MAX_PARSED_TAGS + 2_000):
        languages.language_tag(f"ro-x-{number:08d}")
        languages.name_in(f"de-x-{number:08d}", "en")
    assert all(len(cache) <= languages.MAX_PARSED_TAGS + 1 for cache in kept)
