"""Content rows as Mastodon API entities (GoToSocial's internaltofrontend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content import relationships
from content.accounts import Account
from content.audience import Visibility
from content.interactions import Kind
from content.orm import iso
from content.posts import Post
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


async def account(
    session: AsyncSession, row: Account, base_url: str, counts: AccountCounts | None = None
) -> dict[str, Any]:
    """The Account entity; `counts` when they were read for a whole page."""
    counts = counts or (await account_counts(session, [row.id]))[row.id]
    last = counts.last_status_at
    return {
        "id": str(row.id),
        "username": row.username,
        "acct": row.handle,
        "display_name": row.display_name,
        "locked": row.manually_approves_followers,
        "bot": row.actor_type in ("Application", "Service"),
        "group": row.actor_type == "Group",
        "discoverable": row.discoverable,
        "indexable": False,
        "noindex": True,
        "created_at": iso(row.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "note": row.summary_html,
        "url": row.url,
        "uri": row.uri,
        "avatar": f"{base_url}{AVATAR}",
        "avatar_static": f"{base_url}{AVATAR}",
        "header": f"{base_url}{HEADER}",
        "header_static": f"{base_url}{HEADER}",
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": last.date().isoformat() if last else None,
        "emojis": [],
        "fields": [],
    }


async def credential_account(session: AsyncSession, row: Account, base_url: str) -> dict[str, Any]:
    """The Account entity with `source`, for the account's own client."""
    entity = await account(session, row, base_url)
    entity["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": None,
        "note": "",
        "fields": [],
        "follow_requests_count": len(await relationships.pending_requests(session, row)),
    }
    return entity


async def statuses(
    session: AsyncSession, rows: Sequence[tuple[Post, Account]], viewer: Account | None, base: str
) -> list[dict[str, Any]]:
    """Status entities of a page, with what they show beyond their rows read all at once."""
    facts = await status_facts(session, rows, viewer)
    return [await status(session, post, author, viewer, base, facts) for post, author in rows]


async def status(
    session: AsyncSession,
    post: Post,
    author: Account,
    viewer: Account | None,
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
        "url": post.url,
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at) if post.edited_at else None,
        "account": await account(session, author, base_url, facts.accounts[author.id]),
        "content": post.content_html,
        "visibility": "public" if visibility == Visibility.LOCAL else str(visibility),
        "local_only": visibility == Visibility.LOCAL,
        "sensitive": bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "language": post.language,
        "in_reply_to_id": str(parent[0]) if parent else None,
        "in_reply_to_account_id": str(parent[1]) if parent else None,
        "reblog": None,
        "application": None,
        "media_attachments": [],
        "mentions": [
            {"id": str(a.id), "username": a.username, "acct": a.handle, "url": a.url}
            for a in mentioned
        ],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "replies_count": facts.replies.get(post.uri, 0),
        "reblogs_count": count_of(facts, post, Kind.BOOST),
        "favourites_count": count_of(facts, post, Kind.LIKE),
        "favourited": viewer_did(facts, post, Kind.LIKE),
        "reblogged": viewer_did(facts, post, Kind.BOOST),
        "muted": False,
        "bookmarked": False,
        "pinned": post.pinned_at is not None,
    }
