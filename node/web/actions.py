"""What a signed-in member does from the web: post, reply, follow, like, boost, block.

Every action is a plain form POST (no JavaScript needed), answered with a redirect back.
Each runs in one transaction that also queues its deliveries, then wakes the worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import polls, posts, relationships, timelines
from content.accounts import Account
from content.audience import Visibility
from content.interactions import Kind
from content.interface_text import N_, Message
from content.moves import MoveError
from content.paging import Window, parse_id
from content.polls import PollError
from content.posts import Post, PostError
from federation import outbox, poll_outbox
from federation.context import Federation
from federation.mentions import full_handle, resolve_mentions
from federation.outbox import ActionError
from federation.resolve import ResolveError, actor_by_handle
from moderation.account_blocks import blocked_either_way
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.post_extras import post_extras
from node.web.rendering import render
from node.web.sessions import signed_in_account

Action = Callable[[AsyncSession, Account, FormData, Request], Awaitable[None]]


async def home(request: Request) -> Response:
    """The signed-in member's timeline, with the forms to post and to follow."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse("/login", status_code=303)
        hidden = await blocked_either_way(session, viewer)
        entries = await timelines.home(
            session, viewer, window=Window(limit=40), exclude_accounts=hidden
        )
        requests = await relationships.pending_requests(session, viewer)
        extras = await post_extras(session, viewer, [entry.post.id for entry in entries])
    return render(
        request,
        "timeline.html",
        viewer=viewer,
        entries=entries,
        request_count=len(requests),
        **extras,
        notice=notices.take(request),
    )


async def follow_requests(request: Request) -> Response:
    """Accounts waiting for the member to approve their follow."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse("/login", status_code=303)
        pending = await relationships.pending_requests(session, viewer)
    return render(request, "follow_requests.html", viewer=viewer, pending=pending)


def action(run: Action, back: str = "/home") -> Callable[[Request], Awaitable[Response]]:
    """A form POST by a signed-in member, in one transaction, answered with a redirect to
    `back` (which shows why, if the action was refused)."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_fields=20, max_files=0)
        try:
            async with session_scope(services(request).sessions) as session:
                viewer = await signed_in_account(request, session)
                if viewer is None:
                    return RedirectResponse("/login", status_code=303)
                await run(session, viewer, form, request)
        except (ActionError, MoveError, PostError, ResolveError) as error:
            return notices.refused(request, back, error)
        services(request).federation.notify()
        return RedirectResponse(back, status_code=303)

    return endpoint


async def _compose(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    text = str(form.get("text", ""))
    parent = (
        await _post(session, str(form.get("in_reply_to", "")), viewer)
        if form.get("in_reply_to")
        else None
    )
    asked = form.get("visibility")
    visibility = _visibility(str(asked)) if asked else outbox.default_visibility(parent)
    mentioned = await resolve_mentions(
        services(request).federation, session, text[: posts.MAX_TEXT_LENGTH]
    )
    await outbox.publish(
        services(request).federation,
        session,
        viewer,
        text,
        visibility=visibility,
        in_reply_to=parent,
        mentioned=mentioned,
        spoiler_text=str(form.get("spoiler_text", ""))[:500],
    )


async def _follow(session: AsyncSession, viewer: Account, form: FormData, request: Request) -> None:
    fed = services(request).federation
    target = await _account_named(session, form, request)
    await outbox.follow(fed, session, viewer, target)


async def _unfollow(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    fed = services(request).federation
    target = await _account_named(session, form, request)
    await outbox.unfollow(fed, session, viewer, target)


async def _block(session: AsyncSession, viewer: Account, form: FormData, request: Request) -> None:
    fed = services(request).federation
    target = await _account_named(session, form, request)
    if form.get("undo"):
        await outbox.unblock(fed, session, viewer, target)
    else:
        await outbox.block(fed, session, viewer, target)


async def _answer(session: AsyncSession, viewer: Account, form: FormData, request: Request) -> None:
    if request.path_params["answer"] not in ("accept", "reject"):
        raise HTTPException(404, "no such action")
    follow = await session.get(relationships.Follow, request.path_params["follow_id"])
    if follow is None or follow.followed_id != viewer.id:
        raise ActionError(N_("there is no such follow request"))
    await outbox.answer_follow(
        services(request).federation,
        session,
        viewer,
        follow,
        accept=request.path_params["answer"] == "accept",
    )


async def _on_post(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> None:
    fed = services(request).federation
    post = await _post(session, request.path_params["post_id"], viewer)
    verb = request.path_params["verb"]
    if verb in ("like", "boost"):
        await outbox.react(fed, session, viewer, post, Kind(verb))
    elif verb in ("unlike", "unboost"):
        await outbox.unreact(fed, session, viewer, post, Kind(verb.removeprefix("un")))
    elif verb == "edit":
        await outbox.edit(fed, session, viewer, post, str(form.get("text", "")))
    elif verb == "delete":
        await outbox.delete(fed, session, viewer, post)
    elif verb == "vote":
        await _vote(fed, session, viewer, post, form)
    else:
        raise HTTPException(404, "no such action")


async def _vote(
    fed: Federation, session: AsyncSession, viewer: Account, post: Post, form: FormData
) -> None:
    """Vote on the post's poll with the options ticked in the form."""
    poll = await polls.of_post(session, post.id)
    if poll is None:
        raise ActionError(N_("this post has no poll"))
    ticked = [parse_id(str(value)) for value in form.getlist("choice")[:64]]
    choices = [-1 if choice is None else choice for choice in ticked]  # -1: refused below
    try:
        await poll_outbox.vote(fed, session, viewer, post, poll, choices)
    except PollError as error:
        raise ActionError(error.args[0]) from None


async def _post(session: AsyncSession, raw_id: str, viewer: Account) -> Post:
    """A post the viewer may see; any other id is 'no such post', never a hint it exists."""
    post = await session.get(Post, found) if (found := parse_id(raw_id)) is not None else None
    if post is None or not await posts.can_see(session, viewer, post):
        raise ActionError(N_("there is no such post"))
    return post


def _visibility(value: str) -> Visibility:
    try:
        visibility = Visibility(value)
    except ValueError:
        visibility = Visibility.MEMBERS  # refused below, as any unknown level
    if visibility == Visibility.MEMBERS:  # only posts in a discussion group are for members
        raise ActionError(Message(N_("“%(value)s” is not a visibility"), value=value))
    return visibility


async def _account_named(session: AsyncSession, form: FormData, request: Request) -> Account:
    fed = services(request).federation
    return await actor_by_handle(fed, session, full_handle(str(form.get("handle", "")), fed.domain))


routes = [
    Route("/home", home),
    Route("/follow-requests", follow_requests),
    Route("/compose", action(_compose), methods=["POST"]),
    Route("/follow", action(_follow), methods=["POST"]),
    Route("/unfollow", action(_unfollow), methods=["POST"]),
    Route("/block", action(_block), methods=["POST"]),
    Route("/follow-requests/{follow_id:id}/{answer:str}", action(_answer), methods=["POST"]),
    Route("/posts/{post_id}/{verb}", action(_on_post), methods=["POST"]),
]
