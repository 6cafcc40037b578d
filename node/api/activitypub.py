"""ActivityPub GETs: actors, posts and collections, negotiated against their HTML pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub import (
    AS_CONTEXT,
    ActorType,
    ObjectType,
    create,
    ordered_collection,
    ordered_collection_page,
)
from content import accounts, groups, media, posts, relationships
from content.accounts import Account
from content.paging import parse_id
from content.posts import Post
from federation import group_wire, proofs, to_wire
from federation.outbox import note_of
from moderation.policy import left_out_of_threads
from node.api import group_documents
from node.api.authorized_fetch import require_signed_fetch, signed_reader
from node.api.negotiation import activity_response, wants_activitypub
from node.state import services

PAGE_SIZE = 20
THREAD_ITEMS = 200  # a thread's collection lists at most this many posts


async def actor(request: Request) -> Response:
    """A local actor: JSON-LD for servers, the profile page for people. The HTML pages
    are imported here on the first one a browser asks for: serving ActivityPub alone loads
    no page module (nor the directory's, the corrections' and the rendering they import)."""
    account = await _local_account(request)
    browser = not wants_activitypub(request)
    if account.is_gone:
        if not browser:
            return _gone(account.uri)
        from node.web import pages

        return await pages.gone(request)
    is_group = account.actor_type == ActorType.GROUP
    if browser:
        if is_group:
            return RedirectResponse(f"/discussions/{account.username}", status_code=303)
        from node.web import pages

        return await pages.profile(request, account)
    await require_signed_fetch(request)
    if is_group:
        space = await _require_federated_group(request, account)
        base_url = services(request).settings.base_url
        return activity_response(group_wire.actor_document(space, base_url))
    return activity_response(to_wire.actor(account).to_document())


async def _require_federated_group(request: Request, group: Account) -> groups.Space:
    """The group, or 404 for one other servers must not see: a local-only one never
    federates."""
    async with services(request).sessions() as session:
        space = await groups.get(session, group)
    if space is None or not space.federates:
        raise HTTPException(404, "There is no such account.")
    return space


async def instance_actor(request: Request) -> Response:
    """The node's own Application actor, which signs the node's fetches."""
    async with services(request).sessions() as session:
        account = await accounts.instance_actor(session)
    if account is None:
        raise HTTPException(503, "this node has not been initialised")
    if not wants_activitypub(request):
        from node.web import pages

        return await pages.about(request)
    return activity_response(to_wire.actor(account).to_document())


async def instance_outbox(request: Request) -> Response:
    """The instance actor only signs fetches; it never publishes, so its outbox is empty."""
    return activity_response(
        ordered_collection(f"{services(request).settings.base_url}/actor/outbox", total_items=0)
    )


async def outbox(request: Request) -> Response:
    """The actor's public activities: a collection head, or one page of it (newest first).
    A group's outbox is its latest posts; a members-only group's needs a member's signature."""
    await require_signed_fetch(request)
    account = await _live_local_account(request)
    if account.actor_type == ActorType.GROUP:
        space = await _require_federated_group(request, account)
        reader = None
        if space.visibility != groups.GroupVisibility.PUBLIC:
            reader = await signed_reader(request)
        return activity_response(await group_documents.outbox(services(request), account, reader))
    outbox_uri = str(account.outbox_uri)  # local accounts always have one
    if "page" not in request.query_params:
        async with services(request).sessions() as session:
            total = await posts.count_open_posts(session, account)
        return activity_response(
            ordered_collection(outbox_uri, total_items=total, first=f"{outbox_uri}?page=true")
        )
    max_id = _cursor(request.query_params.get("max_id"))
    async with services(request).sessions() as session:
        rows = await posts.open_posts_page(session, account, max_id=max_id, limit=PAGE_SIZE + 1)
        shown = rows[:PAGE_SIZE]
        notes = [await note_of(session, post, account) for post in shown]
    page_id = f"{outbox_uri}?page=true" + (f"&max_id={max_id}" if max_id else "")
    next_page = f"{outbox_uri}?page=true&max_id={shown[-1].id}" if len(rows) > PAGE_SIZE else None
    return activity_response(
        ordered_collection_page(
            page_id,
            part_of=outbox_uri,
            next_page=next_page,
            items=[create(note, with_context=False) for note in notes],
        )
    )


async def followers(request: Request) -> Response:
    """How many follow the actor. Who they are is never published: it would expose members."""
    return await _count_only(request, relationships.count_followers, "followers_uri")


async def following(request: Request) -> Response:
    """How many the actor follows; the accounts themselves stay private, as for followers."""
    return await _count_only(request, relationships.count_following, "following_uri")


async def _count_only(
    request: Request, count: Callable[[AsyncSession, Account], Awaitable[int]], uri: str
) -> Response:
    await require_signed_fetch(request)
    account = await _live_local_account(request)
    async with services(request).sessions() as session:
        total = await count(session, account)
    return activity_response(ordered_collection(str(getattr(account, uri)), total_items=total))


async def featured(request: Request) -> Response:
    """The actor's pinned posts, inline, as Mastodon publishes them; a group's pinned
    threads, as Lemmy reads them."""
    await require_signed_fetch(request)
    account = await _live_local_account(request)
    if account.actor_type == ActorType.GROUP:
        await _require_federated_group(request, account)
        return activity_response(await group_documents.featured(services(request), account))
    async with services(request).sessions() as session:
        pinned = await posts.pinned_open_posts(session, account)
        notes = [await note_of(session, post, account) for post in pinned]
    document = ordered_collection(str(account.featured_uri), total_items=len(pinned))
    document["orderedItems"] = [note.to_document(with_context=False) for note in notes]
    return activity_response(document)


async def moderators(request: Request) -> Response:
    """A group's moderators (FEP-1b12 `attributedTo`)."""
    await require_signed_fetch(request)
    account = await _live_local_account(request)
    if account.actor_type != ActorType.GROUP:
        raise HTTPException(404, "only groups have moderators")
    await _require_federated_group(request, account)
    return activity_response(await group_documents.moderators(services(request), account))


async def status(request: Request) -> Response:
    """One public or unlisted post: a Note for servers, its page for people."""
    account, post = await _open_post(request)
    if not wants_activitypub(request):
        from node.web import pages

        return await pages.post(request, account, post)
    await require_signed_fetch(request)
    note = {"@context": to_wire.CONTEXT, **await _note(request, account, post)}
    return activity_response(proofs.prove(note, account))


async def status_activity(request: Request) -> Response:
    """The `Create` activity that published a post."""
    await require_signed_fetch(request)
    account, post = await _open_post(request)
    note = await _note(request, account, post)
    document: dict[str, Any] = {"id": f"{post.uri}/activity", "type": "Create"}
    document["actor"] = account.uri
    document.update(published=note["published"], to=note["to"], cc=note["cc"], object=note)
    return activity_response(proofs.prove({"@context": to_wire.CONTEXT, **document}, account))


async def status_replies(request: Request) -> Response:
    """A post's direct replies kept here that anyone may read, by id (FEP-7888 `replies`)."""
    return await _thread_collection(request, "replies")


async def status_context(request: Request) -> Response:
    """The post's thread as kept here (FEP-7888 `context`): its first post and every reply
    under it that anyone may read, by id, at most THREAD_ITEMS."""
    return await _thread_collection(request, "context")


async def _thread_collection(request: Request, kind: str) -> Response:
    await require_signed_fetch(request)
    _, post = await _open_post(request)
    async with services(request).sessions() as session:
        if kind == "replies":
            found = await posts.replies_below(
                session, post, limit=THREAD_ITEMS, depth=1, open_only=True
            )
        else:
            root = await posts.thread_root(session, post)
            found = await posts.open_thread(session, root, limit=THREAD_ITEMS)
        # As to a visitor: nothing by a server in quarantine or silenced.
        left_out = await left_out_of_threads(session, None, {p.account_id for p in found})
        found = [p for p in found if p.account_id not in left_out]
    document = ordered_collection(f"{post.uri}/{kind}", total_items=len(found))
    document["orderedItems"] = [p.uri for p in found]
    return activity_response(document)


async def _note(request: Request, account: Account, post: Post) -> dict[str, Any]:
    """The post as a Note (a post in a group as the group has it), with its hashtags and
    media read in one session."""
    async with services(request).sessions() as session:
        tags = await posts.tag_names(session, post)
        attached = await media.of_post(session, post.id)
        in_group = await group_documents.post(session, post, account, tags, attached)
        if in_group is not None:
            return in_group
        note = await note_of(session, post, account)
    return note.to_document(with_context=False)


async def _local_account(request: Request) -> Account:
    username = request.path_params["username"]
    async with services(request).sessions() as session:
        account = await accounts.get_local(session, username, include_gone=True)
    # An account awaiting approval is not there yet (404, not 410: once approved it appears).
    if (
        account is None
        or account.actor_type not in accounts.LOCAL_KINDS
        or account.awaiting_approval
    ):
        raise HTTPException(404, "There is no such account.")  # never the name typed
    return account


async def _live_local_account(request: Request) -> Account:
    account = await _local_account(request)
    if account.is_gone:
        raise HTTPException(410, "this account is gone")
    return account


async def _open_post(request: Request) -> tuple[Account, posts.Post]:
    account = await _live_local_account(request)
    post_id = _cursor(request.path_params["post_id"])
    async with services(request).sessions() as session:
        post = await posts.get_open_post(session, account, post_id) if post_id else None
    if post is None:
        raise HTTPException(404, "there is no such post here")
    return account, post


def _cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    found = parse_id(value)
    if found is None:
        raise HTTPException(400, "ids are decimal numbers")
    return found


def _gone(uri: str) -> Response:
    tombstone = {"@context": AS_CONTEXT, "id": uri, "type": str(ObjectType.TOMBSTONE)}
    return activity_response(tombstone, status_code=410)


routes = [
    Route("/actor", instance_actor),
    Route("/actor/outbox", instance_outbox),
    Route("/users/{username}", actor),
    Route("/users/{username}/outbox", outbox),
    Route("/users/{username}/followers", followers),
    Route("/users/{username}/following", following),
    Route("/users/{username}/collections/featured", featured),
    Route("/users/{username}/moderators", moderators),
    Route("/users/{username}/statuses/{post_id}", status),
    Route("/users/{username}/statuses/{post_id}/activity", status_activity),
    Route("/users/{username}/statuses/{post_id}/replies", status_replies),
    Route("/users/{username}/statuses/{post_id}/context", status_context),
]
