"""A pasted URL of a post or profile, resolved to what it names (Mastodon's `resolve=true`).

The document is fetched through the one SSRF-safe transport, and only from a host the
federation policy allows (`resolve.fetch_object`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import has_type
from content import accounts, posts
from content.accounts import Account
from content.interface_text import N_, Message
from content.posts import Post
from federation import from_wire
from federation.context import Federation
from federation.resolve import ACTOR_TYPES, ResolveError, actor_by_uri, fetch_actor, fetch_object


async def by_url(fed: Federation, session: AsyncSession, url: str) -> Account | Post:
    """The account or post a URL names: one kept here by that id, else fetched from its
    origin (a profile's or post's page answers with its document) and kept. ResolveError
    says why nothing was found."""
    known = await accounts.get_by_uri(session, url) or await posts.get_by_uri(session, url)
    if known is not None:
        return known
    if fed.is_local(url):
        raise ResolveError(Message(N_("there is nothing at %(url)s here"), url=url))
    document = await fetch_object(fed, session, url)
    if has_type(document, *ACTOR_TYPES):
        return await fetch_actor(fed, session, document["id"])
    if (reason := from_wire.refusal(document)) is not None:
        raise ResolveError(
            Message(N_("%(url)s cannot be shown here: %(reason)s"), url=url, reason=reason)
        )
    author = await actor_by_uri(fed, session, from_wire.author_of(document) or "")
    post = await from_wire.store_note(fed, session, document, author, force=True)
    if post is None:
        raise ResolveError(
            Message(N_("%(url)s is not a post its author’s server vouches for"), url=url)
        )
    return post
