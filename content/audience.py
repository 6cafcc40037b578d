"""Who may see a post: its visibility level."""

from __future__ import annotations

from enum import StrEnum


class Visibility(StrEnum):
    """Mastodon's four levels, plus local-only posts that never leave this node."""

    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"  # followers only
    DIRECT = "direct"
    LOCAL = "local"
    MEMBERS = "members"  # a members-only discussion group's members (content.groups)


# Shown to anyone, including logged-out readers and other servers fetching the outbox.
OPEN_TO_ALL = (Visibility.PUBLIC, Visibility.UNLISTED)

# The levels at most as wide as each: who can read, and whether it leaves this node. A level
# is narrower than another only if it reaches fewer people and leaves this node only if the
# other does; local-only and followers-only are not comparable (one reaches every member
# here, the other followers elsewhere too), so what is within both is direct.
AT_MOST: dict[Visibility, frozenset[Visibility]] = {
    Visibility.PUBLIC: frozenset(Visibility),
    Visibility.UNLISTED: frozenset(Visibility) - {Visibility.PUBLIC},
    Visibility.LOCAL: frozenset({Visibility.LOCAL, Visibility.DIRECT}),
    Visibility.PRIVATE: frozenset({Visibility.PRIVATE, Visibility.MEMBERS, Visibility.DIRECT}),
    Visibility.MEMBERS: frozenset({Visibility.MEMBERS, Visibility.DIRECT}),
    Visibility.DIRECT: frozenset({Visibility.DIRECT}),
}
WIDEST_FIRST = (
    Visibility.PUBLIC,
    Visibility.UNLISTED,
    Visibility.LOCAL,
    Visibility.PRIVATE,
    Visibility.MEMBERS,
    Visibility.DIRECT,
)


def for_reply(requested: Visibility, parent: Visibility) -> Visibility:
    """A reply's visibility: what was asked for, narrowed to the widest level within both it
    and the parent's, so a reply never reaches further than the post it answers."""
    within = AT_MOST[requested] & AT_MOST[parent]
    return next(level for level in WIDEST_FIRST if level in within)


def default_for_reply(parent: Visibility) -> Visibility:
    """A reply's visibility when none was asked for: the parent's (direct for a post in a
    members-only group answered outside the group's own forms)."""
    return Visibility.DIRECT if parent == Visibility.MEMBERS else parent
