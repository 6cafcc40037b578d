"""The order of visibility levels: a reply is never wider than the post it answers."""

from __future__ import annotations

import itertools

from content.audience import AT_MOST, Visibility, default_for_reply, for_reply

V = Visibility


def test_a_reply_is_never_wider_than_its_parent_nor_than_asked() -> None:
    for asked, parent in itertools.product(Visibility, repeat=2):
        given = for_reply(asked, parent)
        assert given in AT_MOST[parent] and given in AT_MOST[asked], (asked, parent)
        if asked in AT_MOST[parent]:
            assert given == asked  # a narrower choice is kept


def test_the_levels_where_they_must_sit() -> None:
    assert for_reply(V.PUBLIC, V.UNLISTED) == V.UNLISTED
    assert for_reply(V.PUBLIC, V.PRIVATE) == V.PRIVATE
    assert for_reply(V.UNLISTED, V.LOCAL) == V.LOCAL  # a local-only post's reply stays here
    assert for_reply(V.PRIVATE, V.LOCAL) == V.DIRECT  # followers elsewhere: not within local
    assert for_reply(V.LOCAL, V.PRIVATE) == V.DIRECT  # every member here: not within followers
    assert for_reply(V.PUBLIC, V.MEMBERS) == V.MEMBERS
    assert for_reply(V.PUBLIC, V.DIRECT) == V.DIRECT
    assert for_reply(V.DIRECT, V.PUBLIC) == V.DIRECT


def test_a_reply_takes_its_parents_level_by_default() -> None:
    assert [default_for_reply(level) for level in Visibility] == [
        V.PUBLIC, V.UNLISTED, V.PRIVATE, V.DIRECT, V.LOCAL, V.DIRECT,
    ]  # fmt: skip
