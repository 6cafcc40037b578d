"""Mastodon's list files, read with or without their header and written as Mastodon does."""

from __future__ import annotations

import pytest

from moderation.list_files import Entry, Kind, ListFileError, read, write


def test_a_follows_file_reads_with_or_without_its_header_each_address_once() -> None:
    with_header = "\ufeffAccount address,Show boosts,Notify on new posts,Languages\n"
    lines = "@Eve@Remote.Example,true,false,\neve@remote.example,false,false,\nsam,true,false,\n"
    for text in (with_header + lines, lines):
        assert read(Kind.FOLLOWING, text.encode(), "harbour.test") == [
            Entry("Eve@remote.example"),
            Entry("sam@harbour.test"),
        ]


def test_a_mutes_file_keeps_whether_notifications_are_hidden() -> None:
    text = b"Account address,Hide notifications\neve@remote.example,false\nsam@x.example,true\n"
    entries = read(Kind.MUTES, text, "harbour.test")
    assert entries == [Entry("eve@remote.example", False), Entry("sam@x.example", True)]
    assert write(Kind.MUTES, entries) == (
        "Account address,Hide notifications\neve@remote.example,false\nsam@x.example,true\n"
    )


def test_domains_and_bookmarks_are_one_value_a_line_without_header() -> None:
    assert read(Kind.DOMAIN_BLOCKS, b"Spam.Example.\n\n", "h.test") == [Entry("spam.example")]
    assert write(Kind.DOMAIN_BLOCKS, [Entry("spam.example")]) == "spam.example\n"
    with pytest.raises(ListFileError, match="Line 1"):
        read(Kind.BOOKMARKS, b"javascript:alert(1)\n", "h.test")


def test_a_field_over_the_csv_readers_limit_is_refused_with_a_reason() -> None:
    with pytest.raises(ListFileError, match="not a CSV text file"):
        read(Kind.FOLLOWING, b"a" * (200 * 1024) + b"@h.test\n", "h.test")


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-1", ".x"])
def test_an_address_a_spreadsheet_would_take_for_a_formula_is_refused(name: str) -> None:
    with pytest.raises(ListFileError, match="Line 1"):
        read(Kind.FOLLOWING, f"{name}@social.example\n".encode(), "h.test")
