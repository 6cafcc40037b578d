"""Retention: direct messages and members-only group posts kept only so many days.

Off by default; a node that turns it on forgets such posts (every copy kept here, local or
remote) together with their attachments once they are older than the limit. Nothing is sent
to other servers: what they keep is theirs to limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.audience import Visibility
from content.media import MediaAttachment, remove_files
from content.orm import utcnow
from content.posts import Post

BATCH = 500


@dataclass(frozen=True)
class Retention:
    """How many days direct messages and members-only group posts are kept (None: always),
    and where their attachments' files are."""

    media_dir: Path
    direct_days: int | None = None
    group_days: int | None = None

    @property
    def shortest_days(self) -> int | None:
        """The shorter of the two retentions (None: neither is set)."""
        days = [d for d in (self.direct_days, self.group_days) if d is not None]
        return min(days) if days else None

    def keep_ended(self, otherwise: timedelta) -> timedelta:
        """How long ended inbox items and deliveries are kept: their bodies are copies of
        what they carried, direct messages too, so no longer than the shortest retention
        (`otherwise` when none is shorter). Before, a direct message's words stayed in them
        for the 14 days ended jobs are kept after its retention of a day deleted it."""
        shortest = self.shortest_days
        return otherwise if shortest is None else min(otherwise, timedelta(days=shortest))


async def expire(session: AsyncSession, retention: Retention) -> int:
    """Delete one batch of posts past their retention and commit; then their files.
    Returns how many posts went (call again until it returns 0)."""
    limits = [
        (Visibility.DIRECT, retention.direct_days),
        (Visibility.MEMBERS, retention.group_days),
    ]
    expired = [
        (Post.visibility == visibility) & (Post.created_at < utcnow() - timedelta(days=days))
        for visibility, days in limits
        if days is not None
    ]
    if not expired:
        return 0
    clause = expired[0] if len(expired) == 1 else expired[0] | expired[1]
    ids = list(await session.scalars(select(Post.id).where(clause).limit(BATCH)))
    if not ids:
        return 0
    owned = MediaAttachment.post_id.in_(ids)
    files = list(await session.scalars(select(MediaAttachment.file_name).where(owned)))
    await session.execute(delete(MediaAttachment).where(owned))
    await session.execute(delete(Post).where(Post.id.in_(ids)))
    await session.commit()
    remove_files(retention.media_dir, files)
    return len(ids)
