"""Self-defence without JavaScript: from a post or a profile, a member blocks, mutes (for a
while), unfollows, removes a follower or reports an account; and her notifications page.

A report from here goes to this node's moderators only: whether it reaches the reported
account's server is for a moderator to decide.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import accounts, corrections, posts, relationships
from content import notifications as inbox
from content.accounts import Account
from content.paging import Window
from content.posts import Post
from content.relationships import FollowState
from federation import outbox
from federation.context import Federation
from federation.outbox import ActionError
from moderation import account_blocks, mutes, reports
from moderation.policy import notification_view
from node import i18n
from node.api.mastodon import records
from node.database import session_scope
from node.i18n import N_
from node.state import services
from node.web import notices, work_waiting
from node.web.rendering import render
from node.web.sessions import signed_in_account

# The choices of the mute form, in seconds (0: until she lifts it).
MUTE_DURATIONS = {
    "3600": N_("an hour"),
    "86400": N_("a day"),
    "604800": N_("a week"),
    "0": N_("until I unmute"),
}
RECENT_POSTS = 10
MAX_COMMENT = 1000
NOTIFICATIONS = Window(limit=40)


async def safety_page(request: Request) -> Response:
    """`/accounts/{id}/safety`: what she can do about an account, with where things stand;
    `?post=ID` puts that post first among the ones she can report."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        target = await _other(session, viewer, request)
        follow = await relationships.find_follow(session, viewer, target)
        follower = await relationships.find_follow(session, target, viewer)
        chosen = await records.post(session, request.query_params.get("post"), viewer)
        recent = await posts.open_posts_page(session, target, max_id=None, limit=RECENT_POSTS)
        reportable = [chosen] if chosen is not None and chosen.account_id == target.id else []
        reportable += [p for p in recent if p not in reportable]
        return render(
            request,
            "safety.html",
            viewer=viewer,
            target=target,
            following=follow is not None,
            followed_by=follower is not None and follower.state == FollowState.ACCEPTED,
            blocking=await account_blocks.find(session, viewer, target) is not None,
            muting=await mutes.find(session, viewer, target),
            reportable=reportable,
            chosen=chosen.id if chosen else None,
            durations=MUTE_DURATIONS,
            categories=reports.CATEGORIES,
            notice=notices.take_done(request),
        )


async def _other(session: AsyncSession, viewer: Account, request: Request) -> Account:
    target = await records.account(session, str(request.path_params["account_id"]))
    if target.id == viewer.id:
        raise HTTPException(404, "this is your own account")
    return target


Verb = Callable[[Request, AsyncSession, Account, Account, FormData], Awaitable[None]]


async def act(request: Request) -> Response:
    """`POST /accounts/{id}/{verb}`: block, unblock, mute, unmute, unfollow, remove-follower
    or report; back to the page, saying what happened."""
    verb = VERBS.get(str(request.path_params["verb"]))
    if verb is None:
        raise HTTPException(404, "no such action")
    form = await request.form(max_fields=RECENT_POSTS + 10, max_files=0)
    try:
        async with session_scope(services(request).sessions) as session:
            viewer = await signed_in_account(request, session)
            if viewer is None:
                return RedirectResponse("/login", status_code=303)
            target = await _other(session, viewer, request)
            await verb(request, session, viewer, target, form)
    except (ActionError, ValueError) as error:
        return render(request, "error.html", status_code=400, message=i18n.explain(error))
    services(request).federation.notify()
    done = request.path_params["verb"]
    return notices.done(request, f"/accounts/{target.id}/safety", done)


def _outbox(
    run: Callable[[Federation, AsyncSession, Account, Account], Awaitable[object]],
) -> Verb:
    """A verb that is one outbox action: the other server is told."""

    async def verb(
        request: Request, session: AsyncSession, viewer: Account, target: Account, _: FormData
    ) -> None:
        await run(services(request).federation, session, viewer, target)

    return verb


async def _mute(
    request: Request, session: AsyncSession, viewer: Account, target: Account, form: FormData
) -> None:
    """Mute for the chosen while (never told to the muted account)."""
    seconds = str(form.get("duration", "0"))
    if seconds not in MUTE_DURATIONS:
        raise ValueError("choose how long to mute for")
    duration = timedelta(seconds=int(seconds)) if seconds != "0" else None
    hide_notifications = form.get("notifications") == "hide"
    await mutes.mute(session, viewer, target, notifications=hide_notifications, duration=duration)


async def _unmute(
    request: Request, session: AsyncSession, viewer: Account, target: Account, _: FormData
) -> None:
    await mutes.unmute(session, viewer, target)


async def _report(
    request: Request, session: AsyncSession, viewer: Account, target: Account, form: FormData
) -> None:
    """File a report for this node's moderators; nothing is sent anywhere."""
    chosen = [await records.visible_post(session, str(i), viewer) for i in form.getlist("post")]
    if any(post.account_id != target.id for post in chosen):
        raise ValueError("only this account's posts can be part of the report")
    await reports.file_report(
        session,
        reporter=viewer,
        target=target,
        post_uris=[post.uri for post in chosen[: RECENT_POSTS + 1]],
        comment=str(form.get("comment", ""))[:MAX_COMMENT],
        category=str(form.get("category", "other")),
    )


VERBS: dict[str, Verb] = {
    "block": _outbox(outbox.block),
    "unblock": _outbox(outbox.unblock),
    "unfollow": _outbox(outbox.unfollow),
    "remove-follower": _outbox(outbox.remove_follower),
    "mute": _mute,
    "unmute": _unmute,
    "report": _report,
}


async def notifications_page(request: Request) -> Response:
    """`/notifications`: the answers to her suggested corrections; then mentions, replies,
    follows, follow requests and ended polls, newest first, as
    `moderation.policy.notification_view` shows them (no blocked or muted senders, nothing
    her notification policy holds back), after what waits for her role
    (`work_waiting`); with `?held=1`, those her policy held back."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse("/login?next=/notifications", status_code=303)
        view = await notification_view(session, viewer)
        showing_held = request.query_params.get("held") == "1"
        types = ("mention", "follow", "follow_request", "poll")
        rows = await inbox.page(
            session,
            viewer,
            window=NOTIFICATIONS,
            types=types,
            where=view.held() if showing_held else view.shown(),
        )
        held = (
            0
            if showing_held
            else await inbox.count_after(
                session, viewer, 0, limit=100, types=types, where=view.held()
            )
        )
        senders = await accounts.by_ids(session, {row.from_account_id for row in rows})
        answers = [] if showing_held else await corrections.answers(session, viewer)
        ids = {row.post_id for row in rows if row.post_id}
        found = {p.id: p for p in await session.scalars(select(Post).where(Post.id.in_(ids)))}
        waiting = [] if showing_held else await work_waiting.for_viewer(request, session, viewer)
        return render(
            request,
            "notifications.html",
            viewer=viewer,
            waiting=waiting,
            showing_held=showing_held,
            held=held,
            answers=answers,
            items=[
                (row, senders.get(row.from_account_id), found.get(row.post_id or 0)) for row in rows
            ],
        )


routes = [
    Route("/accounts/{account_id}/safety", safety_page),
    Route("/accounts/{account_id}/{verb}", act, methods=["POST"]),
    Route("/notifications", notifications_page),
]
