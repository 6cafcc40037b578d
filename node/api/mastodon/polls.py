"""Polls: GET /api/v1/polls/:id and POST /api/v1/polls/:id/votes (a poll's post must be
one the viewer may read)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import polls
from content.accounts import Account
from content.paging import parse_id
from content.polls import Poll, PollError, PollSpec
from content.posts import Post
from federation import poll_outbox
from node.api.mastodon import records
from node.api.mastodon.entities import poll_entity
from node.api.mastodon.requests import optional_viewer, path_id, read_params, user_of
from node.database import session_scope
from node.state import services


async def show(request: Request) -> Response:
    """GET /api/v1/polls/:id."""
    viewer = await optional_viewer(request)
    async with services(request).sessions() as session:
        poll, post = await _poll(session, request, viewer)
        return JSONResponse(await _entity(session, poll, post, viewer))


async def votes(request: Request) -> Response:
    """POST /api/v1/polls/:id/votes with choices[]: the poll after the vote; 422 when the
    poll has ended, was voted on already, or the choices are not the poll's."""
    viewer = await user_of(request, "write:statuses")
    raw = (await read_params(request)).get("choices", [])
    choices = [parse_id(c) for c in (raw if isinstance(raw, list) else [raw])][:64]
    if not choices or None in choices:
        raise HTTPException(422, "Validation failed: choices must be option numbers")
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        poll, post = await _poll(session, request, viewer)
        try:
            await poll_outbox.vote(fed, session, viewer, post, poll, [c or 0 for c in choices])
        except PollError as error:
            raise HTTPException(422, f"Validation failed: {error}") from None
        entity = await _entity(session, poll, post, viewer)
    fed.notify()
    return JSONResponse(entity)


def spec_of(params: dict[str, Any]) -> PollSpec | None:
    """The poll a new status asks for, as JSON (`poll: {options, expires_in, ...}`) or as a
    form (`poll[options][]`, `poll[expires_in]`, ...); None without one. PollError if it
    is not one this node takes."""
    nested = params.get("poll")
    given = (
        nested
        if isinstance(nested, dict)
        else {key[5:-1]: value for key, value in params.items() if key.startswith("poll[")}
    )
    if not given:
        return None
    options = given.get("options", [])
    options = options if isinstance(options, list) else [options]
    expires = parse_id(given.get("expires_in"))
    return polls.spec(
        [str(o) for o in options[: polls.MAX_OPTIONS + 1]],
        expires if expires is not None else -1,
        multiple=given.get("multiple") in TRUE,
        hide_totals=given.get("hide_totals") in TRUE,
    )


async def _poll(
    session: AsyncSession, request: Request, viewer: Account | None
) -> tuple[Poll, Post]:
    poll = await session.get(Poll, path_id(request))
    if poll is None:
        raise HTTPException(404, "Record not found")
    return poll, await records.visible_post(session, str(poll.post_id), viewer)


async def _entity(
    session: AsyncSession, poll: Poll, post: Post, viewer: Account | None
) -> dict[str, object]:
    choices = await polls.choices_of(session, viewer.id, [poll.id]) if viewer else {}
    return poll_entity(poll, post, viewer, choices)


# How clients write true: JSON true, or a form's "true", "1" or "on".
TRUE = (True, "true", "1", "True", "on")

routes = [
    Route("/api/v1/polls/{id}", show),
    Route("/api/v1/polls/{id}/votes", votes, methods=["POST"]),
]
