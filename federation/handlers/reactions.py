"""Like and Announce, and their Undo."""

from __future__ import annotations

from content import interactions, posts
from content.audience import OPEN_TO_ALL, Visibility
from content.interactions import Kind
from federation import from_wire
from federation.handlers.incoming import Incoming
from federation.resolve import ResolveError, actor_by_uri


async def on_like(incoming: Incoming) -> None:
    """A remote account likes a local post."""
    post = await posts.get_by_uri(incoming.session, incoming.object_id or "")
    if post is not None and incoming.fed.is_local(post.uri):
        await interactions.add(
            incoming.session, incoming.actor, post, Kind.LIKE, uri=incoming.activity["id"]
        )


async def on_announce(incoming: Incoming) -> None:
    """A remote account boosts a post: a local one, one we keep, or, when someone here
    follows the booster, the embedded one if its author's integrity proof holds, else one
    fetched from its origin."""
    uri = incoming.object_id
    if not uri:
        return
    session = incoming.session
    post = await posts.get_by_uri(session, uri)
    if post is None and await from_wire.is_relevant(session, incoming.actor, [], None):
        note = await incoming.proven_or_fetched(uri, incoming.object)
        if note is None:
            return
        try:
            author = await actor_by_uri(incoming.fed, session, from_wire.author_of(note) or "")
        except ResolveError:
            return
        post = await from_wire.store_note(incoming.fed, session, note, author, force=True)
    if post is not None and Visibility(post.visibility) in OPEN_TO_ALL:  # as Mastodon does
        await interactions.add(
            session, incoming.actor, post, Kind.BOOST, uri=incoming.activity["id"]
        )


async def on_undo(incoming: Incoming) -> None:
    """A like or boost is taken back."""
    await interactions.remove_by_uri(incoming.session, incoming.actor, incoming.object_id or "")
