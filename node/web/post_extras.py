"""What a page of posts shows beside each post's text, read for the whole page at once: its
attachments, and its poll with the reader's own choices in it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content import media, polls
from content.accounts import Account


async def post_extras(
    session: AsyncSession, viewer: Account | None, post_ids: Sequence[int]
) -> dict[str, Any]:
    """`attachments` and `polls` by post id, and the viewer's `poll_choices` by poll id,
    for the templates that show posts (post_item.html)."""
    found = await polls.of_posts(session, post_ids)
    poll_ids = [poll.id for poll in found.values()]
    return {
        "attachments": await media.of_posts(session, post_ids),
        "polls": found,
        "poll_choices": await polls.choices_of(session, viewer.id, poll_ids) if viewer else {},
    }
