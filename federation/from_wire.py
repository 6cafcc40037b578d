"""Remote documents into content rows, sanitising on the way in (GoToSocial's astointernal)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import PUBLIC, ActorType, as_list, id_of, web_url
from activitypub.hostnames import same_host
from content import audience, conversations, hashtags, media, posts
from content.accounts import Account
from content.audience import Visibility
from content.media import MAX_REMOTE_PER_POST, RemoteMedia
from content.orm import utcnow
from content.posts import Post
from content.relationships import Follow, FollowState
from content.sanitize import clean_html, in_thread
from federation.context import Federation
from moderation import policy

NOTE_TYPES = ("Note", "Article", "Question", "Page")
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}
ATTACHMENT_TYPES = ("Document", "Image", "Video", "Audio")


def visibility_of(note: dict[str, Any], author: Account) -> Visibility:
    """Mastodon's reading of addressing: Public in `to` is public, in `cc` unlisted,
    the followers collection is followers-only, anything else is direct."""
    to = {id_of(v) for v in as_list(note.get("to"))}
    cc = {id_of(v) for v in as_list(note.get("cc"))}
    if to & PUBLIC_ALIASES:
        return Visibility.PUBLIC
    if cc & PUBLIC_ALIASES:
        return Visibility.UNLISTED
    if author.followers_uri and author.followers_uri in to | cc:
        return Visibility.PRIVATE
    return Visibility.DIRECT


def reply_visibility(note: dict[str, Any], author: Account, parent: Post | None) -> Visibility:
    """The note's visibility by its addressing, never wider than the post here it replies to
    (a public answer to a followers-only post is kept as followers-only)."""
    visibility = visibility_of(note, author)
    if parent is None:
        return visibility
    return audience.for_reply(visibility, Visibility(parent.visibility))


async def local_mentions(
    fed: Federation, session: AsyncSession, note: dict[str, Any]
) -> list[Account]:
    """Local accounts the note mentions (its Mention tags) or addresses directly. Local
    groups are left out: a note addressed to a group is the group's to take or refuse
    (`handlers.groups`), never kept as a mention of it."""
    uris = {id_of(v) for v in as_list(note.get("to")) + as_list(note.get("cc"))}
    uris |= {
        tag.get("href")
        for tag in as_list(note.get("tag"))
        if isinstance(tag, dict) and tag.get("type") == "Mention"
    }
    local = [u for u in uris if isinstance(u, str) and fed.is_local(u)]
    if not local:
        return []
    return list(
        await session.scalars(
            select(Account).where(
                Account.uri.in_(local),
                Account.domain.is_(None),
                Account.actor_type != str(ActorType.GROUP),
            )
        )
    )


async def is_relevant(
    session: AsyncSession, author: Account, mentioned: list[Account], in_reply_to: Post | None
) -> bool:
    """Keep a remote post only if someone here follows its author, it mentions someone here,
    or it replies to a post here. Nothing else is stored."""
    if mentioned or (in_reply_to is not None and in_reply_to.account_id != author.id):
        return True
    follower = await session.scalar(
        select(Follow.id)
        .join(Account, Account.id == Follow.follower_id)
        .where(
            Follow.followed_id == author.id,
            Follow.state == FollowState.ACCEPTED,
            Account.domain.is_(None),
        )
        .limit(1)
    )
    return follower is not None


def note_owned_by(note: dict[str, Any], author: Account) -> bool:
    """Origin check: the note is attributed to `author` and lives on the author's host."""
    return (
        isinstance(note.get("id"), str)
        and id_of(note.get("attributedTo")) == author.uri
        and same_host(note["id"], author.uri)
    )


async def store_note(
    fed: Federation,
    session: AsyncSession,
    note: dict[str, Any],
    author: Account,
    *,
    force: bool = False,
) -> Post | None:
    """Store a remote note if it is relevant here (or `force`); None if it is not kept. A
    suspended author's notes are never kept, however they arrive (a boost, a reply fetched)."""
    if author.suspended_at is not None or not note_owned_by(note, author):
        return None
    existing = await posts.get_by_uri(session, note["id"])
    if existing is not None:
        return existing
    mentioned = await local_mentions(fed, session, note)
    parent_uri = id_of(note.get("inReplyTo"))
    parent = await posts.get_by_uri(session, parent_uri) if parent_uri else None
    if not force and not await is_relevant(session, author, mentioned, parent):
        return None
    post = posts.store_remote(
        session,
        author,
        uri=note["id"],
        url=web_url(id_of(note.get("url"))),
        content_html=await in_thread(clean_html, _text(note.get("content"))),
        visibility=reply_visibility(note, author, parent),
        created_at=_published(note),
        spoiler_text=_text(note.get("summary")),
        language=_language(note),
        in_reply_to_uri=parent_uri,
        mentioned=mentioned,
        tags=hashtags_of(note),
    )
    await session.flush()
    await _keep_attachments(fed, session, post, author, note)
    await conversations.record(session, post, author, mentioned)
    return post


def hashtags_of(note: dict[str, Any]) -> list[str]:
    """The note's `Hashtag` tags in their normal form; names that are no hashtag are dropped."""
    names = (
        hashtags.normalise(str(tag.get("name", "")))
        for tag in as_list(note.get("tag"))[: hashtags.MAX_PER_POST * 4]
        if isinstance(tag, dict) and tag.get("type") == "Hashtag"
    )
    return list(dict.fromkeys(name for name in names if name))[: hashtags.MAX_PER_POST]


def attachments_of(note: dict[str, Any], allow_http: bool = False) -> list[RemoteMedia]:
    """A note's attachments that can be shown: https links (http only in development) with a
    media type, at most MAX_REMOTE_PER_POST. Nothing is downloaded."""
    schemes = ("https://", "http://") if allow_http else ("https://",)
    found = []
    for item in as_list(note.get("attachment"))[:MAX_REMOTE_PER_POST]:
        if not isinstance(item, dict) or item.get("type") not in ATTACHMENT_TYPES:
            continue
        url = _link(item.get("url"))
        mime_type = item.get("mediaType")
        if not url or not url.startswith(schemes) or len(url) > 2048:
            continue
        found.append(
            RemoteMedia(
                url=url,
                mime_type=mime_type[:255] if isinstance(mime_type, str) else "",
                description=_text(item.get("name")),
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
            )
        )
    return found


def _link(value: Any) -> str | None:
    """A `url` given as a string, a Link or a list of them: the first href."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href")
    return value if isinstance(value, str) else None


def _dimension(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000:
        return value
    return None


async def update_note(
    fed: Federation, session: AsyncSession, post: Post, author: Account, note: dict[str, Any]
) -> None:
    """Apply an edit from the post's origin: text, warning, hashtags and attachments."""
    await posts.set_tags(session, post, hashtags_of(note))
    post.content_html = await in_thread(clean_html, _text(note.get("content")))
    post.spoiler_text = _text(note.get("summary"))[:1024]
    post.edited_at = utcnow()
    await media.remove_remote(session, post.id)
    await _keep_attachments(fed, session, post, author, note)


async def _keep_attachments(
    fed: Federation, session: AsyncSession, post: Post, author: Account, note: dict[str, Any]
) -> None:
    """Keep links to the note's attachments, unless this node rejects media from its server."""
    if await policy.accepts_media_from(session, author.domain or ""):
        found = attachments_of(note, fed.transport.policy.allow_http)
        media.add_remote(session, author, post.id, found)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _language(note: dict[str, Any]) -> str | None:
    content_map = note.get("contentMap")
    if isinstance(content_map, dict) and content_map:
        first = next(iter(content_map))
        return first[:35] if isinstance(first, str) else None
    return None


def _published(note: dict[str, Any]) -> datetime:
    value = note.get("published")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return utcnow()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utcnow()
