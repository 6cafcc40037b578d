"""Discussion forms: start a thread, reply, join and leave (a remote group by its
handle), create a group (staff), and moderators' answers to requests to join, remove, pin
and ban. Each POST runs in one
transaction that also queues its deliveries, then wakes the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub import generate_keypair
from content import accounts, group_threads, groups
from content.accounts import Account
from content.groups import GroupError, Space
from content.interface_text import N_, Message
from content.paging import parse_id
from content.posts import Post, PostError
from federation import group_outbox
from federation.mentions import full_handle
from federation.outbox import ActionError
from federation.resolve import ResolveError, actor_by_handle
from node import i18n
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.group_access import handle_of, opener_of, post_in, space_named
from node.web.publishing import is_staff
from node.web.rendering import render
from node.web.sessions import signed_in_account

FormRun = Callable[[AsyncSession, Account, Space, FormData, Request], Awaitable[str]]
REFUSED = (ActionError, GroupError, PostError, ResolveError)


async def _form_viewer(request: Request, session: AsyncSession) -> Account | Response:
    """The signed-in member showing or sending a form page (sent from this site only), or
    the redirect to sign in first."""
    viewer = await signed_in_account(request, session)
    if viewer is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return viewer


async def new_thread(request: Request) -> Response:
    """The form to start a thread (GET), and starting it (POST)."""
    values = {"title": "", "text": ""}
    error = ""
    async with session_scope(services(request).sessions) as session:
        viewer = await _form_viewer(request, session)
        if isinstance(viewer, Response):
            return viewer
        space = await space_named(session, request)
        if request.method == "POST":
            form = await request.form(max_fields=10, max_files=0)
            values = {key: str(form.get(key, "")) for key in values}
            try:
                post = await group_outbox.post(
                    services(request).federation,
                    session,
                    viewer,
                    space,
                    values["text"],
                    title=values["title"][: group_threads.MAX_TITLE],
                )
            except REFUSED as refused:
                error = i18n.explain(refused)
            else:
                location = f"/discussions/{handle_of(space)}/{post.id}"
    if request.method == "POST" and not error:
        services(request).federation.notify()
        return RedirectResponse(location, status_code=303)
    return render(
        request,
        "thread_form.html",
        status_code=400 if error else 200,
        viewer=viewer,
        space=space,
        handle=handle_of(space),
        values=values,
        error=error,
    )


async def new_group(request: Request) -> Response:
    """Staff create a local group (GET shows the form)."""
    values = {
        "name": "",
        "title": "",
        "description": "",
        "visibility": "public",
        "language": i18n.current(),  # the staff member's interface language
        "topics": "",
    }
    error = ""
    async with session_scope(services(request).sessions) as session:
        viewer = await _form_viewer(request, session)
        if isinstance(viewer, Response):
            return viewer
        if not await is_staff(session, viewer):
            message = "Only the staff of this node create groups."
            return render(request, "error.html", status_code=403, viewer=viewer, message=message)
        if request.method == "POST":
            form = await request.form(max_fields=10, max_files=0)
            values = {key: str(form.get(key, ""))[:2000] for key in values}
            try:
                await _create_group(request, session, viewer, values)
            except ValueError as refused:
                error = i18n.explain(refused)
    if request.method == "POST" and not error:
        return RedirectResponse(f"/discussions/{values['name']}", status_code=303)
    return render(
        request,
        "group_form.html",
        status_code=400 if error else 200,
        viewer=viewer,
        values=values,
        error=error,
    )


async def _create_group(
    request: Request, session: AsyncSession, viewer: Account, values: dict[str, str]
) -> None:
    try:
        visibility = groups.GroupVisibility(values["visibility"])
    except ValueError:
        raise GroupError(N_("choose who can read the group")) from None
    await groups.create(
        session,
        base_url=services(request).settings.base_url,
        username=values["name"].strip().lower(),
        keypair=await asyncio.to_thread(generate_keypair),
        title=values["title"],
        visibility=visibility,
        description=values["description"],
        moderator=viewer,
        language=values["language"],
        topics=values["topics"],
    )


async def join_remote(request: Request) -> Response:
    """Join a group on another server by its handle (`name@server`); a members-only group's
    page is shown first, with its description and rules and the button to ask to join."""
    form = await request.form(max_fields=5, max_files=0)
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            viewer = await signed_in_account(request, session)
            if viewer is None:
                return RedirectResponse("/login", status_code=303)
            handle = full_handle(str(form.get("handle", "")).strip()[:300], fed.domain)
            space = await groups.get(session, await actor_by_handle(fed, session, handle))
            if space is None:
                raise ActionError(Message(N_("%(handle)s is not a group"), handle=handle))
            target = handle_of(space)
            if space.visibility == groups.GroupVisibility.MEMBERS:
                # Its description and rules are read before asking, on the group's page.
                return RedirectResponse(f"/discussions/{target}", status_code=303)
            await group_outbox.join(fed, session, viewer, space)
    except REFUSED as refused:
        return notices.refused(request, "/discussions", refused)
    fed.notify()
    return RedirectResponse(f"/discussions/{target}", status_code=303)


def group_form(run: FormRun) -> Callable[[Request], Awaitable[Response]]:
    """A form POST in a group by a signed-in member; answered with a redirect to the page
    `run` names, or back with a notice if refused."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_fields=10, max_files=0)
        back = f"/discussions/{request.path_params['group']}"
        if "post_id" in request.path_params:
            back += f"/{request.path_params['post_id']}"
        try:
            async with session_scope(services(request).sessions) as session:
                viewer = await signed_in_account(request, session)
                if viewer is None:
                    return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
                space = await space_named(session, request)
                location = await run(session, viewer, space, form, request)
        except REFUSED as refused:
            return notices.refused(request, back, refused)
        services(request).federation.notify()
        return RedirectResponse(location, status_code=303)

    return endpoint


async def _join(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    await group_outbox.join(services(request).federation, session, viewer, space)
    return f"/discussions/{handle_of(space)}"


async def _leave(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    await group_outbox.leave(services(request).federation, session, viewer, space)
    return f"/discussions/{handle_of(space)}"


async def _reply(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    opener = await opener_of(session, space, request, viewer)
    parent = opener
    raw_parent = str(form.get("in_reply_to", ""))
    if (parent_id := parse_id(raw_parent)) is not None:
        found = await session.get(Post, parent_id)
        entry = await group_threads.entry_of(session, found) if found else None
        if found is None or entry is None or entry.thread_id != opener.id:
            raise ActionError(N_("there is no such post in this thread"))
        parent = found
    await group_outbox.post(
        services(request).federation,
        session,
        viewer,
        space,
        str(form.get("text", "")),
        in_reply_to=parent,
    )
    return f"/discussions/{handle_of(space)}/{opener.id}"


async def _moderate(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    fed = services(request).federation
    post = await post_in(session, space, request.path_params["post_id"])
    verb = request.path_params["verb"]
    reason = str(form.get("reason", ""))[:500]
    if verb == "remove":
        entry = await group_threads.entry_of(session, post)
        thread_id = entry.thread_id if entry else post.id
        await group_outbox.remove(fed, session, viewer, space, post, reason)
        if thread_id != post.id:
            return f"/discussions/{handle_of(space)}/{thread_id}"
        return f"/discussions/{handle_of(space)}"
    if verb in ("pin", "unpin"):
        await group_outbox.pin(session, viewer, space, post, on=verb == "pin")
        return f"/discussions/{handle_of(space)}/{post.id}"
    raise HTTPException(404, "no such action")


async def _answer(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    raw = str(form.get("account", ""))
    asker = await session.get(Account, int(raw)) if raw.isdigit() and len(raw) < 20 else None
    if asker is None:
        raise ActionError(N_("there is no such request to join"))
    fed = services(request).federation
    await group_outbox.answer(
        fed, session, viewer, space, asker, accept=form.get("answer") == "accept"
    )
    return f"/discussions/{handle_of(space)}"


async def _ban(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    fed = services(request).federation
    handle = full_handle(str(form.get("handle", "")).strip()[:300], fed.domain)
    target = await actor_by_handle(fed, session, handle)
    reason = str(form.get("reason", ""))[:500]
    if form.get("undo"):
        await group_outbox.unban(session, viewer, space, target)
    else:
        await group_outbox.ban(fed, session, viewer, space, target, reason)
    return f"/discussions/{handle_of(space)}"


async def _add_moderator(
    session: AsyncSession, viewer: Account, space: Space, form: FormData, request: Request
) -> str:
    nickname = str(form.get("username", "")).strip().lstrip("@")[:64]
    member = await accounts.get_local(session, nickname) if nickname else None
    if member is None:
        raise ActionError(N_("there is no member here with that nickname"))
    await group_outbox.add_moderator(session, viewer, space, member)
    return f"/discussions/{handle_of(space)}"


routes = [
    Route("/discussions/new", new_group, methods=["GET", "POST"]),
    Route("/discussions/join", join_remote, methods=["POST"]),
    Route("/discussions/{group}/new", new_thread, methods=["GET", "POST"]),
    Route("/discussions/{group}/join", group_form(_join), methods=["POST"]),
    Route("/discussions/{group}/leave", group_form(_leave), methods=["POST"]),
    Route("/discussions/{group}/ban", group_form(_ban), methods=["POST"]),
    Route("/discussions/{group}/moderators", group_form(_add_moderator), methods=["POST"]),
    Route("/discussions/{group}/requests", group_form(_answer), methods=["POST"]),
    Route("/discussions/{group}/{post_id:id}/reply", group_form(_reply), methods=["POST"]),
    Route("/discussions/{group}/{post_id:id}/{verb}", group_form(_moderate), methods=["POST"]),
]
