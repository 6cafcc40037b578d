"""Flag: a report from another server, filed in the moderation queue; or a case a partner in
the trusted circle shared with our moderators (`sharedCase`), which may name anyone."""

from __future__ import annotations

from activitypub import as_list, id_of
from content import accounts, posts
from federation.handlers.incoming import Incoming
from federation.resolve import ResolveError, actor_by_uri
from moderation import policy, reports

MAX_FLAGGED = 50


async def on_flag(incoming: Incoming) -> None:
    """File the report against the local account it names (or whose posts it names), unless
    this node rejects reports from the sender's server."""
    session = incoming.session
    if not await policy.accepts_reports_from(session, incoming.actor.domain or ""):
        return
    uris = [u for u in (id_of(v) for v in as_list(incoming.object)) if u]
    if incoming.activity.get("sharedCase") is True:
        await _shared_case(incoming, uris[:MAX_FLAGGED])
        return
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


async def _shared_case(incoming: Incoming, uris: list[str]) -> None:
    """File a partner's shared case about an account anywhere, unless the sender's server is
    not in our trusted circle (then it is dropped: no stranger can fill our queue this way).
    The first object is the account; one we do not know yet is fetched from its server."""
    session = incoming.session
    host = incoming.actor.domain or ""
    if not uris or not await policy.in_trusted_circle(session, host):
        return
    try:
        target = await actor_by_uri(incoming.fed, session, uris[0])
    except ResolveError:
        return
    content = incoming.activity.get("content")
    await reports.receive_flag(
        session,
        uri=incoming.activity["id"],
        origin_domain=host,
        target=target,
        post_uris=uris[1:],
        comment=content if isinstance(content, str) else "",
        sender=incoming.actor,
        shared=True,
    )
