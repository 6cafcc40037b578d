"""Renders content rows as ActivityPub documents (GoToSocial's `internaltoas`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from activitypub import (
    AS_CONTEXT,
    PUBLIC,
    Actor,
    ActorType,
    Choices,
    Note,
    PublicKey,
    create,
    integrity,
)
from activitypub.hostnames import host_of
from content.accounts import Account
from content.audience import OPEN_TO_ALL, Visibility
from content.media import MediaAttachment
from content.orm import iso
from content.polls import Poll
from content.posts import Post, tag_url
from content.sanitize import render_inline_text

# The context of activities Harbour sends: ActivityStreams plus Mastodon's `sensitive`.
CONTEXT: list[Any] = [AS_CONTEXT, {"sensitive": "as:sensitive"}]


def actor(account: Account) -> Actor:
    """The actor document of an account."""
    kind = ActorType(account.actor_type)
    return Actor(
        id=account.uri,
        type=ActorType.SERVICE if account.bot and kind == ActorType.PERSON else kind,
        preferred_username=account.username,
        name=account.display_name or account.username,
        summary=account.summary_html,
        url=account.url,
        inbox=account.inbox_uri,
        outbox=account.outbox_uri,
        followers=account.followers_uri,
        following=account.following_uri,
        featured=account.featured_uri,
        shared_inbox=account.shared_inbox_uri,
        manually_approves_followers=account.manually_approves_followers,
        discoverable=account.discoverable,
        published=iso(account.created_at),
        public_key=PublicKey(id=account.key_id, owner=account.uri, pem=account.public_key_pem),
        icon=account.avatar_url,
        image=account.header_url,
        fields=tuple((f["name"], render_inline_text(f["value"])) for f in account.fields or ()),
        assertion_method=assertion_method(account),
        also_known_as=tuple(account.also_known_as or ()),
        moved_to=account.moved_to_uri,
    )


def assertion_method(account: Account) -> integrity.Multikey | None:
    """The account's Ed25519 key for integrity proofs, as its actor document publishes it."""
    if account.assertion_key_id is None or account.assertion_key is None:
        return None
    return integrity.Multikey(account.assertion_key_id, account.uri, account.assertion_key)


def note(
    post: Post,
    author: Account,
    mentioned: Sequence[Account] = (),
    hashtags: Sequence[str] = (),
    media: Sequence[MediaAttachment] = (),
    context: str | None = None,
    poll: Poll | None = None,
) -> Note:
    """A post as a Note, addressed by its visibility and to the accounts it mentions, with its
    mentions and hashtags as `tag`s and its media as `attachment`s. A post anyone may read
    links its thread (`context`, FEP-7888) and its replies, as collections served here. A
    post with a poll is a Question."""
    to, cc = _addressing(Visibility(post.visibility), author)
    mentioned_uris = tuple(a.uri for a in mentioned)
    readable = Visibility(post.visibility) in OPEN_TO_ALL  # as its collections serve it
    if Visibility(post.visibility) == Visibility.DIRECT:
        to = mentioned_uris
    else:
        cc = cc + mentioned_uris
    return Note(
        id=post.uri,
        attributed_to=author.uri,
        content=post.content_html,
        published=iso(post.created_at),
        updated=iso(post.edited_at) if post.edited_at else None,
        to=to,
        cc=cc,
        url=post.url,
        summary=post.spoiler_text or None,
        sensitive=post.sensitive or bool(post.spoiler_text),
        in_reply_to=post.in_reply_to_uri,
        language=post.language,
        tags=(
            *(
                {"type": "Mention", "href": a.uri, "name": f"@{a.username}@{host_of(a.uri)}"}
                for a in mentioned
            ),
            *(
                {"type": "Hashtag", "href": tag_url(author) + quote(name), "name": f"#{name}"}
                for name in hashtags
            ),
        ),
        attachments=tuple(document(m) for m in media),
        context=(context or f"{post.uri}/context") if readable else None,
        replies=f"{post.uri}/replies" if readable else None,
        poll=choices(poll) if poll is not None else None,
    )


def choices(poll: Poll) -> Choices:
    """A poll as its Question carries it: counts, end, and `closed` once it has ended."""
    end = iso(poll.expires_at) if poll.expires_at else None
    return Choices(
        options=tuple(zip(poll.options, poll.counts, strict=True)),
        multiple=poll.multiple,
        end_time=end,
        closed=end if poll.expired() else None,
        voters_count=poll.voters_count,
    )


def document(attachment: MediaAttachment) -> dict[str, Any]:
    """An attachment as the `Document` Mastodon sends; `name` is its description, and its
    blurhash and focal point come along when it has them."""
    found: dict[str, Any] = {
        "type": "Document",
        "mediaType": attachment.mime_type,
        "url": attachment.url,
        "name": attachment.description or None,
        "width": attachment.width,
        "height": attachment.height,
    }
    if attachment.blurhash:
        found["blurhash"] = attachment.blurhash
    if attachment.focus_x is not None and attachment.focus_y is not None:
        found["focalPoint"] = [attachment.focus_x, attachment.focus_y]
    return found


def create_activity(
    post: Post,
    author: Account,
    mentioned: Sequence[Account] = (),
    hashtags: Sequence[str] = (),
    media: Sequence[MediaAttachment] = (),
) -> dict[str, Any]:
    """The `Create` that published a post, as listed in its author's outbox."""
    return create(note(post, author, mentioned, hashtags, media), with_context=False)


def _addressing(visibility: Visibility, author: Account) -> tuple[tuple[str, ...], tuple[str, ...]]:
    followers = (author.followers_uri,) if author.followers_uri else ()
    if visibility == Visibility.PUBLIC:
        return (PUBLIC,), followers
    if visibility == Visibility.UNLISTED:
        return followers, (PUBLIC,)
    if visibility == Visibility.PRIVATE:
        return followers, ()
    return (), ()  # direct and local-only: addressed per post by the federation engine
