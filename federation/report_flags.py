"""Reports that leave this node, only ever by a moderator's decision: forwarded to the
reported account's server as an anonymous `Flag`, or shared with a partner organisation in
the trusted circle as a case for its moderators (a `Flag` to its instance actor, marked
`sharedCase`), which never reaches the reported server."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import AS_CONTEXT
from activitypub.vocab import CASE_CONTEXT
from content import accounts, posts
from content.accounts import Account
from content.audience import OPEN_TO_ALL
from content.orm import new_id
from federation import addressing, delivery, resolve
from federation.context import Federation
from moderation import policy, reports
from moderation.reports import Report


class FlagError(ValueError):
    """The report cannot be sent there; the message is fit to show the moderator."""


async def open_post_uris(session: AsyncSession, report: Report) -> list[str]:
    """The reported posts that may go out as they are: public or unlisted ones."""
    kept = []
    for uri in reports.reported_post_uris(report):
        post = await posts.get_by_uri(session, uri)
        if post is not None and post.visibility in OPEN_TO_ALL:
            kept.append(uri)
    return kept


async def _objects(
    session: AsyncSession, report: Report, target: Account, added: Collection[str]
) -> list[str]:
    reported = reports.reported_post_uris(report)
    if unknown := [uri for uri in added if uri not in reported]:
        raise FlagError(f"{unknown[0]} is not one of the reported posts")
    public = set(await open_post_uris(session, report))
    return [target.uri, *(uri for uri in reported if uri in public or uri in added)]


def _flag(instance: Account, objects: list[str], comment: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{instance.uri}#flags/{new_id()}",
        "type": "Flag",
        "actor": instance.uri,
        "object": objects,
        "content": comment,
        **extra,
    }


async def forward(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    target: Account,
    *,
    comment: str,
    added: Collection[str] = (),
) -> None:
    """Send the report to the reported account's server from this node's instance actor, so
    the member stays anonymous: with `comment` (the moderator's words, or the member's if the
    moderator kept them), the public and unlisted reported posts, and only those non-public
    reported posts the moderator `added`."""
    instance = await accounts.instance_actor(session)
    if target.is_local or instance is None:
        raise FlagError("only a report about another server's account can be forwarded")
    if report.forwarded:
        raise FlagError("this report was already forwarded")
    objects = await _objects(session, report, target, added)
    report.forwarded = True
    inboxes = await addressing.for_account(fed, session, target)
    await delivery.enqueue(session, _flag(instance, objects, comment), instance.id, inboxes)


async def share(
    fed: Federation,
    session: AsyncSession,
    report: Report,
    target: Account,
    *,
    partner: str,
    comment: str,
    added: Collection[str] = (),
) -> None:
    """Send the report to a partner organisation's moderators: a `Flag` addressed to the
    partner's instance actor (a Harbour node's `/actor`), delivered to its inbox only."""
    instance = await accounts.instance_actor(session)
    if instance is None or not await policy.in_trusted_circle(session, partner):
        raise FlagError(f"{partner} is not a partner in this node's trusted circle")
    scheme = urlsplit(fed.base_url).scheme
    try:
        actor = await resolve.actor_by_uri(fed, session, f"{scheme}://{partner}/actor")
    except resolve.ResolveError as error:
        raise FlagError(f"{partner} could not be reached: {error}") from None
    objects = await _objects(session, report, target, added)
    activity = _flag(instance, objects, comment, to=[actor.uri], sharedCase=True)
    activity["@context"] = [AS_CONTEXT, CASE_CONTEXT]
    inboxes = await addressing.deliverable(fed, session, {actor.inbox_uri})
    await delivery.enqueue(session, activity, instance.id, inboxes)
