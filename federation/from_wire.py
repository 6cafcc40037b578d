"""Remote documents into content rows, sanitising on the way in (GoToSocial's astointernal)."""

from __future__ import annotations

import html
import mimetypes
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import PUBLIC, ActorType, as_list, id_of, web_url
from activitypub.hostnames import same_host
from activitypub.jsonld import first_actor, has_type, language_value, preferred_link
from activitypub.vocab import MAX_ID_LENGTH
from content import audience, conversations, hashtags, media, post_edits, posts
from content.accounts import Account
from content.audience import Visibility
from content.batch_writes import defers_flush
from content.local_accounts import local_by_uris
from content.media import MAX_REMOTE_PER_POST, RemoteMedia
from content.orm import utcnow
from content.posts import Post
from content.relationships import Follow, FollowState
from content.sanitize import clean_html, in_thread
from federation import poll_wire
from federation.context import Federation
from moderation import policy

# Objects shown as statuses. Past Note and Question, Mastodon "converts" the others: their
# `name` leads the text, `summary` is text rather than a content warning, a link to their
# page follows, and an Image, Video or Audio is its own attachment.
MEDIA_TYPES = ("Image", "Video", "Audio")
ATTACHMENT_TYPES = ("Document", *MEDIA_TYPES)
CONVERTED_TYPES = ("Article", "Page", "Event", "Document", *MEDIA_TYPES)
NOTE_TYPES = ("Note", "Question", *CONVERTED_TYPES)
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}
BLURHASH = re.compile(r"[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{6,64}")


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
    found = await local_by_uris(session, local)
    return [account for account in found.values() if account.actor_type != ActorType.GROUP]


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


def author_of(note: dict[str, Any]) -> str | None:
    """The id of the note's author (`attributedTo` as an id, an object or a list)."""
    return first_actor(note.get("attributedTo"))


def refusal(note: Any) -> str | None:
    """Why an object is not taken as a status, or None if it is one Harbour shows."""
    if not isinstance(note, dict):
        return "the object could not be read"
    if not note.get("type"):
        return "the object has no type, so it is not taken for a Note"
    if not has_type(note, *NOTE_TYPES):
        return f"objects of type {note.get('type')!r} are not shown as posts here"
    if any(len(id_of(note.get(name)) or "") > MAX_ID_LENGTH for name in ("id", "inReplyTo")):
        return f"an id longer than {MAX_ID_LENGTH} characters"  # wider than its column
    return None


def note_owned_by(note: dict[str, Any], author: Account) -> bool:
    """Origin check: the note is attributed to `author` and lives on the author's host."""
    return (
        isinstance(note.get("id"), str)
        and author_of(note) == author.uri
        and same_host(note["id"], author.uri)
    )


async def store_note(
    fed: Federation,
    session: AsyncSession,
    note: dict[str, Any],
    author: Account,
    *,
    force: bool = False,
    titled: bool = True,
) -> Post | None:
    """Store a remote note if it is relevant here (or `force`); None if it is not kept. A
    suspended author's notes are never kept, however they arrive (a boost, a reply fetched).
    With `titled` False its `name` is left out of its text (a thread's title shows it)."""
    if refusal(note) or author.suspended_at is not None or not note_owned_by(note, author):
        return None
    existing = await posts.get_by_uri(session, note["id"])
    if existing is not None:
        return existing
    mentioned = await local_mentions(fed, session, note)
    parent_uri = id_of(note.get("inReplyTo"))
    parent = await posts.get_by_uri(session, parent_uri) if parent_uri else None
    if not force and not await is_relevant(session, author, mentioned, parent):
        return None
    text, language = text_of(note, titled=titled)
    post = posts.store_remote(
        session,
        author,
        uri=note["id"],
        url=web_url(preferred_link(note.get("url"))),
        content_html=await in_thread(clean_html, text),
        visibility=reply_visibility(note, author, parent),
        created_at=_published(note),
        spoiler_text=warning_of(note),
        sensitive=note.get("sensitive") is True,
        language=language[:35] if language else None,
        in_reply_to_uri=parent_uri,
        mentioned=mentioned,
        tags=hashtags_of(note),
    )
    if not defers_flush(session) or _refers_by_id(note):
        await session.flush()  # else with the batch's other rows (`content.batch_writes`)
    await _keep_attachments(fed, session, post, author, note)
    await poll_wire.keep_poll(session, post, note)
    await conversations.record(session, post, author, mentioned)
    return post


def _refers_by_id(note: dict[str, Any]) -> bool:
    """Whether storing the note may add rows naming its post by id alone (attachments, a
    poll), which the unit of work would not order after the post's."""
    return bool(note.get("attachment")) or has_type(note, "Question", *MEDIA_TYPES)


def text_of(note: dict[str, Any], *, titled: bool = True) -> tuple[str, str | None]:
    """The note's HTML before sanitising, and its language. `content` (or its language map);
    a converted object's `name` leads (as a heading line) unless not `titled`, its
    `summary` stands in for missing content, and a link to its page follows."""
    content, language = language_value(note, "content")
    if not has_type(note, *CONVERTED_TYPES):
        return content or "", language
    parts = []
    name, name_language = language_value(note, "name")
    if titled and name:
        parts.append(f"<p><strong>{html.escape(name, quote=False)}</strong></p>")
    summary, summary_language = language_value(note, "summary")
    parts.append(content or summary or "")
    page = web_url(preferred_link(note.get("url")))
    if page and page != note.get("id"):
        parts.append(f'<p><a href="{html.escape(page)}">{html.escape(page, quote=False)}</a></p>')
    return "".join(parts), language or summary_language or name_language


def warning_of(note: dict[str, Any]) -> str:
    """The content warning: a Note's or Question's `summary` (a converted object's summary
    is its text, as Mastodon reads it)."""
    if has_type(note, *CONVERTED_TYPES):
        return ""
    return (language_value(note, "summary")[0] or "")[:1024]


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
    items = as_list(note.get("attachment"))
    if not items and has_type(note, *MEDIA_TYPES):
        items = [note]  # an Image, Video or Audio is its own attachment
    found = []
    for item in items[:MAX_REMOTE_PER_POST]:
        if not isinstance(item, dict) or not has_type(item, *ATTACHMENT_TYPES):
            continue
        kind = next(t for t in ATTACHMENT_TYPES if has_type(item, t))
        major = kind.lower() if kind in MEDIA_TYPES else ""
        url = preferred_link(item.get("url"), f"{major}/" if major else "text/html")
        if not url or not url.startswith(schemes) or len(url) > 2048:
            continue
        found.append(
            RemoteMedia(
                url=url,
                mime_type=media_type_of(item, url),
                description=_text(item.get("name") if item is not note else ""),
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                blurhash=_blurhash(item.get("blurhash")),
                focus=_focal_point(item.get("focalPoint")),
            )
        )
    return found


def media_type_of(item: dict[str, Any], url: str) -> str:
    """An attachment's media type: its `mediaType` (or that of the Link chosen from its
    `url`) unless a text type, else guessed from the URL's extension, else its kind
    (`image/*` for an Image), else empty (unknown)."""
    links = [u for u in as_list(item.get("url")) if isinstance(u, dict) and u.get("href") == url]
    for given in (item.get("mediaType"), *(link.get("mediaType") for link in links)):
        # text/* is a page or the object's own text (PeerTube's Markdown), not the file's.
        if isinstance(given, str) and "/" in given and not given.startswith("text/"):
            return given[:255]
    guessed, _ = mimetypes.guess_type(urlsplit(url).path, strict=False)
    if guessed:
        return guessed
    kind = next((t for t in MEDIA_TYPES if has_type(item, t)), None)
    return f"{kind.lower()}/*" if kind else ""


def _blurhash(value: Any) -> str | None:
    """A blurhash as Mastodon sends it: 6 to 64 characters of its base-83 alphabet."""
    return value if isinstance(value, str) and BLURHASH.fullmatch(value) else None


def _focal_point(value: Any) -> tuple[float, float] | None:
    """A `focalPoint`: two numbers from -1 to 1."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    x, y = float(value[0]), float(value[1])
    return (x, y) if -1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 else None


def _dimension(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000:
        return value
    return None


async def update_note(
    fed: Federation, session: AsyncSession, post: Post, author: Account, note: dict[str, Any]
) -> None:
    """Apply an edit from the post's origin: text, warning, hashtags, attachments and a
    poll's counts. The version before is kept when a reader would see a change
    (`post_edits.record`). An edit older (by its `updated`) than the one applied last is
    stale, a retry delivered late, and changes nothing (one of the same second is applied:
    `updated` is often given to the second); nor does any edit of a suspended author's
    post."""
    updated = _moment(note.get("updated"))
    if author.suspended_at is not None:
        return
    if updated is not None and post.edited_at is not None and updated < post.edited_at:
        return
    before = await post_edits.current(session, post)
    await posts.set_tags(session, post, hashtags_of(note))
    post.content_html = await in_thread(clean_html, text_of(note)[0])
    post.spoiler_text = warning_of(note)
    post.sensitive = note.get("sensitive") is True or bool(post.spoiler_text)
    await media.remove_remote(session, post.id)
    await _keep_attachments(fed, session, post, author, note)
    await poll_wire.keep_results(session, post, note)
    if await post_edits.record(session, post, before) and updated is not None:
        # As its origin dated it, but never before the post nor in the future.
        post.edited_at = min(max(updated, post.created_at), post.edited_at or updated)


async def _keep_attachments(
    fed: Federation, session: AsyncSession, post: Post, author: Account, note: dict[str, Any]
) -> None:
    """Keep links to the note's attachments, unless this node rejects media from its server
    (asked only when there are some: most notes have none)."""
    found = attachments_of(note, fed.transport.policy.allow_http)
    if found and await policy.accepts_media_from(session, author.domain or ""):
        media.add_remote(session, author, post.id, found)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _published(note: dict[str, Any]) -> datetime:
    return _moment(note.get("published")) or utcnow()


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 date and time in UTC; None if it is none, or none UTC can hold (year 1
    at +05:00 is before the first moment a datetime has)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
