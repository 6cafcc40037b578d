"""Earlier versions of edited posts, as Mastodon's status history shows them.

A post's row holds its current version; each edit that changes what a reader sees keeps the
version before it here. At most MAX_KEPT earlier versions stay per post: past that, the
oldest after the original goes (the first version and the latest ones are what readers
compare)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import media
from content.media import MediaAttachment
from content.orm import Base, new_id, utcnow
from content.posts import Post

MAX_KEPT = 50
# What of an attachment a version keeps: enough to show it again, not the file's fate.
MEDIA_FIELDS = ("id", "type", "url", "mime_type", "width", "height", "description")


class PostEdit(Base):
    """One earlier version of a post: the text, warning and attachments readers saw."""

    __tablename__ = "post_edits"
    __table_args__ = (Index("ix_post_edits_post_id_created_at", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    content_html: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(String(1024), default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # When this version was made: the post's creation, or the edit that made it.
    created_at: Mapped[datetime]


@dataclass(frozen=True)
class Version:
    """A post as it read at one time. `content_html` is sanitised, as stored."""

    content_html: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    media: list[dict[str, Any]] = field(default_factory=list)

    def differs(self, other: Version) -> bool:
        """Whether a reader would see a change: text, warning, sensitivity or attachments."""
        return (self.content_html, self.spoiler_text, self.sensitive, _shown(self.media)) != (
            other.content_html,
            other.spoiler_text,
            other.sensitive,
            _shown(other.media),
        )

    def attachments(self) -> list[MediaAttachment]:
        """The version's attachments as (unsaved) rows, to show as any other."""
        return [MediaAttachment(**m) for m in self.media]


async def current(session: AsyncSession, post: Post) -> Version:
    """The post as it reads now."""
    return Version(
        content_html=post.content_html,
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive or bool(post.spoiler_text),
        created_at=post.edited_at or post.created_at,
        media=[_kept(m) for m in await media.of_post(session, post.id)],
    )


async def record(session: AsyncSession, post: Post, before: Version) -> bool:
    """Mark the post edited now if it reads otherwise than `before`, which is kept; False,
    with nothing kept or marked, when a reader would see no change."""
    await session.flush()
    if not before.differs(await current(session, post)):
        return False
    await keep(session, post, before)
    post.edited_at = utcnow()
    return True


async def keep(session: AsyncSession, post: Post, version: Version) -> None:
    """Keep `version` as an earlier one of `post`, dropping the oldest past MAX_KEPT (never
    the original)."""
    session.add(
        PostEdit(
            post_id=post.id,
            content_html=version.content_html,
            spoiler_text=version.spoiler_text,
            sensitive=version.sensitive,
            media=version.media,
            created_at=version.created_at,
        )
    )
    await session.flush()
    surplus = list(
        await session.scalars(
            select(PostEdit.id)
            .where(PostEdit.post_id == post.id)
            .order_by(PostEdit.created_at, PostEdit.id)
            .offset(1)
        )
    )[: -(MAX_KEPT - 1)]
    if surplus:
        await session.execute(delete(PostEdit).where(PostEdit.id.in_(surplus)))


async def history(session: AsyncSession, post: Post) -> list[Version]:
    """Every version kept, oldest first, the current one last (one alone if never edited)."""
    rows = await session.scalars(
        select(PostEdit)
        .where(PostEdit.post_id == post.id)
        .order_by(PostEdit.created_at, PostEdit.id)
    )
    earlier = [
        Version(r.content_html, r.spoiler_text, r.sensitive, r.created_at, list(r.media))
        for r in rows
    ]
    return [*earlier, await current(session, post)]


def _kept(attachment: MediaAttachment) -> dict[str, Any]:
    return {name: getattr(attachment, name) for name in MEDIA_FIELDS}


def _shown(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attachments as a reader sees them: a remote edit stores the same ones anew."""
    return [{k: v for k, v in m.items() if k != "id"} for m in kept]
