"""Scopes: what a granted scope allows."""

from __future__ import annotations

from content.oauth import covers


def test_a_scope_covers_its_parts_and_follow_covers_blocks_follows_and_mutes() -> None:
    assert covers("read write", "read:statuses")
    assert not covers("read", "write:statuses")
    assert covers("follow", "write:blocks")
    assert covers("follow", "read:mutes")
    assert covers("follow", "write:follows")
    assert not covers("follow", "write:statuses")
    assert not covers("follow", "read:bookmarks")
