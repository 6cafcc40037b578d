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
