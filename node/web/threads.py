"""Discussion pages: the list of groups, a group's threads, and a thread with its replies;
plain HTML with forms, no JavaScript. The forms' endpoints are in `group_forms`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from activitypub import ordered_collection
from content import group_threads, groups, relationships
from federation import group_wire
from node.api.authorized_fetch import require_signed_fetch
from node.api.negotiation import activity_response, wants_activitypub
from node.state import services
from node.web import group_forms, names, notices
from node.web.group_access import opener_of, page_of
from node.web.publishing import is_staff
from node.web.rendering import render
from node.web.sessions import signed_in_account

DIRECTORY_SIZE = 100  # groups another server reads from this node's directory


async def index(request: Request) -> Response:
    """`/discussions`: this node's groups and the remote groups the member belongs to,
    found by language (`?language=pt` finds pt-BR too) and topic (`?topic=housing`)."""
    if wants_activitypub(request):
        return await _directory(request)
    language = names.language_typed(request.query_params.get("language", "")[:40])
    topic = groups.topic_names(request.query_params.get("topic", "")[:100])
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        spaces = await groups.local_groups(session)
        if viewer is not None:
            spaces += await groups.remote_groups_of(session, viewer)
        spaces += await groups.of_followed_organisations(session)
        spaces = list({space.account.id: space for space in spaces}.values())
        wanted = {"language": language, "topic": topic[0] if topic else ""}
        spaces = [space for space in spaces if space.matches(**wanted)]
        states = {s.account.id: await groups.membership(session, s.account, viewer) for s in spaces}
        staff = await is_staff(session, viewer)
    return render(
        request,
        "discussions.html",
        viewer=viewer,
        spaces=spaces,
        states=states,
        staff=staff,
        notice=notices.take(request),
        search=wanted,
    )


async def _directory(request: Request) -> Response:
    """This node's groups for other servers (not the local-only ones): a collection of
    their actors, which organisations following this one read to list them."""
    await require_signed_fetch(request)
    base_url = services(request).settings.base_url
    async with services(request).sessions() as session:
        spaces = [space for space in await groups.local_groups(session) if space.federates]
    shown = spaces[:DIRECTORY_SIZE]
    document = ordered_collection(f"{base_url}/discussions", total_items=len(shown))
    document["orderedItems"] = [
        {key: value for key, value in group_wire.actor_document(space, base_url).items()
         if key != "@context"}
        for space in shown
    ]  # fmt: skip
    document["@context"] = group_wire.CONTEXT
    return activity_response(document)


async def show_group(request: Request) -> Response:
    """A group's threads, pinned first, then by latest activity."""
    async with services(request).sessions() as session:
        page = await page_of(session, request)
        readable = await groups.can_read(session, page.space, page.viewer)
        members_too = page.member == "member" or page.moderator
        rows = await group_threads.threads(session, page.space.account, members_too=members_too)
        moderators = await groups.moderators(session, page.space.account)
        banned = await groups.banned(session, page.space.account) if page.moderator else []
        asking = (
            await relationships.pending_requests(session, page.space.account)
            if page.moderator
            else []
        )
    return render(
        request,
        "discussion.html",
        **page.context(request),
        readable=readable,
        rows=rows if readable else [],
        moderators=moderators,
        banned=banned,
        asking=asking,
    )


async def show_thread(request: Request) -> Response:
    """A thread: its opening post and the replies, oldest first, with the reply form."""
    async with services(request).sessions() as session:
        page = await page_of(session, request)
        opener = await opener_of(session, page.space, request, page.viewer)
        entry = await group_threads.entry_of(session, opener)
        assert entry is not None  # _opener found it
        members_too = page.member == "member" or page.moderator
        shown = await group_threads.thread_posts(session, entry, members_too=members_too)
    return render(
        request,
        "thread.html",
        **page.context(request),
        entry=entry,
        opener=opener,
        posts=shown,
        authors={post.uri: author for post, author in shown},
    )


routes = [
    Route("/discussions", index),
    *group_forms.routes,  # before /discussions/{group}, which would catch /discussions/new
    Route("/discussions/{group}", show_group),
    Route("/discussions/{group}/{post_id:id}", show_thread),
]
