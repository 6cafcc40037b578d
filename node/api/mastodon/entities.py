"""Content rows as Mastodon API entities (GoToSocial's internaltofrontend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import web_url
from content import moves, personas, relationships
from content.accounts import Account
from content.audience import Visibility
from content.interactions import Interaction, Kind
from content.media import MediaAttachment, proxy_path
from content.orm import iso
from content.polls import Poll
from content.post_edits import Version
from content.posts import Post
from content.readers import Reader
from content.relationships import FollowState
from content.sanitize import render_inline_text
from moderation import account_blocks, member_domain_blocks, mutes
from node.api.mastodon.entity_facts import (
    AccountCounts,
    StatusFacts,
    account_counts,
    count_of,
    status_facts,
    viewer_did,
)

AVATAR = "/static/avatar.png"
HEADER = "/static/header.png"

# Levels Mastodon clients do not know, as the nearest level they do.
CLIENT_VISIBILITY = {Visibility.LOCAL: "public", Visibility.MEMBERS: "private"}


async def account(
    session: AsyncSession,
    row: Account,
    base_url: str,
    counts: AccountCounts | None = None,
    *,
    with_moved: bool = True,
) -> dict[str, Any]:
    """The Account entity; `counts` when they were read for a whole page. `limited` is there
    only for an account a moderator limited, as Mastodon does; `moved` (the new account,
    one level deep) only for a move both accounts confirm: the new one names the old."""
    moved = await moves.moved_to(session, row) if with_moved else None
    counts = counts or (await account_counts(session, [row.id]))[row.id]
    last = counts.last_status_at
    avatar = picture_url(row, "avatar", base_url) or f"{base_url}{AVATAR}"
    header = picture_url(row, "header", base_url) or f"{base_url}{HEADER}"
    return {
        "id": str(row.id),
        "username": row.username,
        "acct": row.handle,
        "display_name": row.display_name,
        "locked": row.manually_approves_followers,
        "bot": row.bot or row.actor_type in ("Application", "Service"),
        "group": row.actor_type == "Group",
        "discoverable": row.discoverable,
        "indexable": False,
        "noindex": not row.discoverable,
        "created_at": iso(row.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "note": row.summary_html,
        "url": web_url(row.url) or row.uri,
        "uri": row.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": last.date().isoformat() if last else None,
        "emojis": [],
        "fields": [
            {"name": f["name"], "value": render_inline_text(f["value"]), "verified_at": None}
            for f in row.fields or ()
        ],
        **({"limited": True} if row.silenced_at else {}),
        **(
            {"moved": await account(session, moved, base_url, with_moved=False)}
            if moved is not None and moves.names(moved, row)
            else {}
        ),
    }


def picture_url(row: Account, kind: str, base_url: str) -> str | None:
    """An account's avatar or header (`kind`) as readers fetch it: a local one from its own
    URL here, a remote one through this node's media proxy; None if it has none."""
    url = web_url(row.avatar_url if kind == "avatar" else row.header_url)
    if url is None or row.is_local:
        return url
    return f"{base_url}{proxy_path(kind, row.id, url)}"


async def credential_account(session: AsyncSession, row: Account, base_url: str) -> dict[str, Any]:
    """The Account entity with `source`, for the account's own client."""
    entity = await account(session, row, base_url)
    user = await personas.login_of(session, row)  # a nickname: its login's; the organisation: none
    entity["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": user.language if user else None,  # also the web interface's language
        "note": row.note_text,
        "fields": [{"name": f["name"], "value": f["value"]} for f in row.fields or ()],
        "follow_requests_count": len(await relationships.pending_requests(session, row)),
        "hide_from_guests": row.hide_from_guests,  # Harbour's: posts on the web for members
    }
    return entity


async def statuses(
    session: AsyncSession,
    rows: Sequence[tuple[Post, Account]],
    viewer: Reader | None,
    base: str,
    boosts: Sequence[tuple[Interaction, Account] | None] = (),
    *,
    brief_mentions: bool = False,
) -> list[dict[str, Any]]:
    """Status entities of a page, with what they show beyond their rows read all at once;
    where `boosts` (one per row, if given) has a boost and its booster, the row is shown as
    that boost's wrapper. `brief_mentions`: as `status_facts` says."""
    boosters = [booster for _, booster in filter(None, boosts)]
    facts = await status_facts(session, rows, viewer, boosters, brief_mentions=brief_mentions)
    shown = [await status(session, post, author, viewer, base, facts) for post, author in rows]
    for number, boosted in enumerate(boosts):
        if boosted is not None:
            boost, booster = boosted
            counts = facts.accounts[booster.id]
            shown[number] = await reblog(session, boost, booster, shown[number], base, counts)
    return shown


async def status(
    session: AsyncSession,
    post: Post,
    author: Account,
    viewer: Reader | None,
    base_url: str,
    facts: StatusFacts | None = None,
) -> dict[str, Any]:
    """The Status entity, as `viewer` sees it; `facts` when they were read for a whole page."""
    facts = facts or await status_facts(session, [(post, author)], viewer)
    mentioned = facts.mentions.get(post.id, [])
    parent = facts.parent_of(post)
    visibility = Visibility(post.visibility)
    return {
        "id": str(post.id),
        "uri": post.uri,
        "url": web_url(post.url) or post.uri,
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at) if post.edited_at else None,
        "account": await account(session, author, base_url, facts.accounts[author.id]),
        "content": post.content_html,
        "visibility": CLIENT_VISIBILITY.get(visibility, str(visibility)),
        "local_only": visibility == Visibility.LOCAL,
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "language": post.language,
        "in_reply_to_id": str(parent[0]) if parent else None,
        "in_reply_to_account_id": str(parent[1]) if parent else None,
        "reblog": None,
        "application": None,
        "media_attachments": [attachment(m, base_url) for m in facts.media.get(post.id, [])],
        "mentions": [
            {
                "id": str(a.id),
                "username": a.username,
                "acct": a.handle,
                "url": web_url(a.url) or a.uri,
            }
            for a in mentioned
        ],
        "tags": [tag(name, base_url) for name in facts.tags.get(post.id, [])],
        "emojis": [],
        "card": None,
        "poll": poll_entity(facts.polls[post.id], post, viewer, facts.choices)
        if post.id in facts.polls
        else None,
        "replies_count": facts.replies.get(post.uri, 0),
        "reblogs_count": count_of(facts, post, Kind.BOOST),
        "favourites_count": count_of(facts, post, Kind.LIKE),
        "favourited": viewer_did(facts, post, Kind.LIKE),
        "reblogged": viewer_did(facts, post, Kind.BOOST),
        "muted": False,  # conversation mutes do not exist yet
        "bookmarked": post.id in facts.bookmarked,
        "pinned": post.pinned_at is not None,
    }


async def status_edit(
    session: AsyncSession, version: Version, author: Account, base_url: str
) -> dict[str, Any]:
    """The StatusEdit entity: one version of a status, as its history lists it."""
    return {
        "content": version.content_html,
        "spoiler_text": version.spoiler_text,
        "sensitive": version.sensitive,
        "created_at": iso(version.created_at),
        "account": await account(session, author, base_url),
        "poll": None,
        "media_attachments": [attachment(m, base_url) for m in version.attachments()],
        "emojis": [],
    }


async def reblog(
    session: AsyncSession,
    boost: Interaction,
    booster: Account,
    boosted: dict[str, Any],
    base_url: str,
    counts: AccountCounts | None = None,
) -> dict[str, Any]:
    """A boost as Mastodon's wrapper status: the booster's, with no text of its own, and
    the boosted status in `reblog` (`counts`: the booster's, when read for a whole page)."""
    return {
        **boosted,
        "id": str(boost.id),
        "uri": boost.uri,
        "created_at": iso(boost.created_at),
        "edited_at": None,
        "account": await account(session, booster, base_url, counts),
        "content": "",
        "sensitive": False,
        "spoiler_text": "",
        "language": None,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": boosted,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "favourited": False,
        "bookmarked": False,
        "pinned": False,
    }


def tag(name: str, base_url: str) -> dict[str, Any]:
    """The Tag entity (no usage history is kept)."""
    return {
        "name": name,
        "url": f"{base_url}/tags/{quote(name)}",
        "history": [],
        "following": False,
    }


async def relationship(session: AsyncSession, viewer: Account, target: Account) -> dict[str, Any]:
    """The Relationship entity: how `viewer` stands towards `target`."""
    mine = await relationships.find_follow(session, viewer, target)
    theirs = await relationships.find_follow(session, target, viewer)
    mute = await mutes.find(session, viewer, target)
    domain_blocked = bool(
        target.domain and await member_domain_blocks.blocks(session, viewer, target.domain)
    )
    return {
        "id": str(target.id),
        "following": bool(mine and mine.state == FollowState.ACCEPTED),
        "requested": bool(mine and mine.state == FollowState.PENDING),
        "requested_by": bool(theirs and theirs.state == FollowState.PENDING),
        "followed_by": bool(theirs and theirs.state == FollowState.ACCEPTED),
        "blocking": await account_blocks.find(session, viewer, target) is not None,
        "blocked_by": await account_blocks.find(session, target, viewer) is not None,
        "muting": mute is not None,
        "muting_notifications": bool(mute and mute.notifications),
        "showing_reblogs": True,
        "notifying": False,
        "languages": None,
        "domain_blocking": domain_blocked,
        "endorsed": False,
        "note": "",
    }


def attachment(row: MediaAttachment, base_url: str) -> dict[str, Any]:
    """The MediaAttachment entity. An upload's `preview_url` is its preview; a remote file is
    served through this node's media proxy (`remote_url` keeps where it came from, as
    Mastodon does), and one this node no longer holds a row for (in an old version of an
    edited post) has no URL at all, rather than one on another server."""
    local = row.file_name is not None or row.url.startswith(f"{base_url}/")
    if local:
        url: str | None = row.url
        preview = f"{base_url}/media/{row.preview_file_name}" if row.preview_file_name else url
    elif row.remote_url:
        url = f"{base_url}{proxy_path('media', row.id, row.remote_url)}"
        preview = url
    else:
        url = preview = None
    meta: dict[str, Any] = {}
    if row.width and row.height:
        meta["original"] = _size(row.width, row.height)
        meta["small"] = meta["original"]
    if row.preview_width and row.preview_height:
        meta["small"] = _size(row.preview_width, row.preview_height)
    if row.focus_x is not None and row.focus_y is not None:
        meta["focus"] = {"x": row.focus_x, "y": row.focus_y}
    return {
        "id": str(row.id),
        "type": row.type,
        "url": url,
        "preview_url": preview if row.type == "image" else None,
        "remote_url": row.remote_url or (None if local else row.url),
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": row.description or None,
        "blurhash": row.blurhash,
    }


def _size(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def poll_entity(
    poll: Poll, post: Post, viewer: Reader | None, choices: dict[int, list[int]]
) -> dict[str, Any]:
    """The Poll entity. With `hide_totals`, counts show only to the author and once it
    has ended; the author counts as having voted, as in Mastodon."""
    expired = poll.expired()
    shown = not poll.hide_totals or expired or (viewer is not None and viewer.id == post.account_id)
    own = choices.get(poll.id, [])
    return {
        "id": str(poll.id),
        "expires_at": iso(poll.expires_at) if poll.expires_at else None,
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": sum(poll.counts),
        "voters_count": poll.voters_count,
        "options": [
            {"title": title, "votes_count": n if shown else None}
            for title, n in zip(poll.options, poll.counts, strict=True)
        ],
        "emojis": [],
        "voted": bool(own) or (viewer is not None and viewer.id == post.account_id),
        "own_votes": own,
    }
