"""Discussion pages: the list of groups, a group's threads, and a thread with its replies;
plain HTML with forms, no JavaScript. The forms' endpoints are in `group_forms`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import group_threads, groups, relationships
from node.state import services
from node.web import group_forms
from node.web.group_access import opener_of, page_of
from node.web.listing_form import is_staff
from node.web.rendering import render
from node.web.sessions import signed_in_account


async def index(request: Request) -> Response:
    """`/discussions`: this node's groups and the remote groups the member belongs to,
    found by language (`?language=pt` finds pt-BR too) and topic (`?topic=housing`)."""
    language = request.query_params.get("language", "").strip()[:35]
    topic = groups.topic_names(request.query_params.get("topic", "")[:100])
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        spaces = await groups.local_groups(session)
        if viewer is not None:
            spaces += await groups.remote_groups_of(session, viewer)
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
        notice=request.query_params.get("notice"),
        search=wanted,
    )


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
    Route("/discussions/{group}/{post_id:int}", show_thread),
]
