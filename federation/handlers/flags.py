"""Flag: a report from another server, filed in the moderation queue."""

from __future__ import annotations

from activitypub import as_list, id_of
from content import accounts, posts
from federation.handlers.incoming import Incoming
from moderation import policy, reports

MAX_FLAGGED = 50


async def on_flag(incoming: Incoming) -> None:
    """File the report against the local account it names (or whose posts it names), unless
    this node rejects reports from the sender's server."""
    session = incoming.session
    if not await policy.accepts_reports_from(session, incoming.actor.domain or ""):
        return
    uris = [u for u in (id_of(v) for v in as_list(incoming.object)) if u]
    local = [u for u in uris if incoming.fed.is_local(u)][:MAX_FLAGGED]
    target = None
    post_uris = []
    for uri in local:
        account = await accounts.get_by_uri(session, uri)
        if account is not None:
            target = target or account
            continue
        post = await posts.get_by_uri(session, uri)
        if post is not None:
            post_uris.append(uri)
            target = target or await session.get(accounts.Account, post.account_id)
    if target is None:
        return
    content = incoming.activity.get("content")
    await reports.receive_flag(
        session,
        uri=incoming.activity["id"],
        origin_domain=incoming.actor.domain or "",
        target=target,
        post_uris=post_uris,
        comment=content if isinstance(content, str) else "",
        sender=incoming.actor,
    )
