"""The streaming API as Mastodon serves it: one WebSocket at `/api/v1/streaming` (streams
chosen in the URL and with subscribe/unsubscribe messages) and a server-sent-event stream
per path (`/api/v1/streaming/user`, `/public/local`, `/hashtag?tag=`, `/list?list=`, ...),
each with a token in the Authorization header, the `access_token` parameter or (WebSocket)
the Sec-WebSocket-Protocol header."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from activitypub import InvalidDocument, read_json
from content import hashtags, oauth, timeline_lists
from content.accounts import Account
from content.oauth import AccessToken, OAuthError
from node.state import services
from node.streaming.hub import Connection, Hub
from node.streaming.render import (
    DIRECT,
    HASHTAG,
    HASHTAG_LOCAL,
    LIST,
    NAMES,
    NOTIFICATIONS,
    PUBLIC,
    PUBLIC_LOCAL,
    USER,
    Stream,
    as_json,
)

HEARTBEAT_SECONDS = 15.0  # as Mastodon's: proxies close connections idle for a minute
MAX_PER_TOKEN = 16  # open streams per token: a few tabs and apps, not a flood
MAX_STREAMS = 10_000  # open streams in one process, whoever opened them
MAX_SUBSCRIPTIONS = 32  # streams one WebSocket may subscribe to
MAX_PER_MEMBER = 32  # open streams of one member, whatever the tokens (they cost nothing)
MAX_STREAMS_PER_MEMBER = 64  # distinct streams across a member's connections
SSE_PATHS = {
    "user": USER,
    "user/notification": NOTIFICATIONS,
    "public": PUBLIC,
    "public/local": PUBLIC_LOCAL,
    "hashtag": HASHTAG,
    "hashtag/local": HASHTAG_LOCAL,
    "list": LIST,
    "direct": DIRECT,
}


def hub_of(connection: HTTPConnection) -> Hub:
    """The process's streams."""
    found: Hub = connection.app.state.streams
    return found


async def health(_request: Request) -> Response:
    """GET /api/v1/streaming/health."""
    return PlainTextResponse("OK")


async def _token(connection: HTTPConnection, offered: str) -> tuple[AccessToken, Account]:
    """The member behind the token offered; OAuthError if there is none, it has no member,
    or it can read neither statuses nor notifications."""
    async with services(connection).sessions() as session:
        token, account = await oauth.token_owner(session, offered)
    if account is None or not (_reads(token, "statuses") or _reads(token, "notifications")):
        raise OAuthError("invalid_token", "this token cannot read streams")
    return token, account


def _reads(token: AccessToken, what: str) -> bool:
    """Whether the token may read `what` ("statuses" or "notifications"), as Mastodon's
    streaming server asks: `read`, or `read:<what>`."""
    return oauth.covers(token.scopes, f"read:{what}")


def _connection(hub: Hub, token: AccessToken, viewer: Account) -> Connection | None:
    """A new stream of the viewer's, counted at once (before anything is awaited, so
    handshakes made all at once cannot all pass the count); None past the limits per
    token, per member and per process."""
    if (
        hub.count(token.id) >= MAX_PER_TOKEN
        or hub.count_of(viewer.id) >= MAX_PER_MEMBER
        or len(hub.connections) >= MAX_STREAMS
    ):
        return None
    connection = Connection(
        viewer.id, token.id, set(), notifications=_reads(token, "notifications")
    )
    hub.open(connection)
    return connection


def _offered(connection: HTTPConnection) -> str:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return (
        connection.query_params.get("access_token", "")
        or connection.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    )


async def _stream(
    connection: HTTPConnection, token: AccessToken, viewer: Account, name: str, tag: str,
    list_id: str,
) -> Stream:  # fmt: skip
    """A stream the viewer may open with this token; ValueError saying why not."""
    if name not in NAMES:
        raise ValueError(f"there is no stream {name!r}")
    if not _reads(token, "notifications" if name == NOTIFICATIONS else "statuses"):
        raise ValueError(f"this token cannot read the stream {name!r}")
    if name in (HASHTAG, HASHTAG_LOCAL):
        normal = hashtags.normalise(tag)
        if normal is None:
            raise ValueError("a hashtag stream needs a tag")
        return Stream(name, normal)
    if name == LIST:
        owned = None
        if list_id.isdigit() and len(list_id) < 20:
            async with services(connection).sessions() as session:
                owned = await timeline_lists.owned(session, viewer, int(list_id))
        if owned is None:
            raise ValueError("there is no such list")
        return Stream(name, str(owned.id))
    return Stream(name)


async def server_sent(request: Request) -> Response:
    """GET /api/v1/streaming/<stream>: the stream as server-sent events."""
    try:
        token, viewer = await _token(request, _offered(request))
    except OAuthError:
        raise HTTPException(401, "Error: Missing access token") from None
    name = SSE_PATHS.get(request.path_params["stream"].strip("/"))
    params = request.query_params
    hub = hub_of(request)
    connection = _connection(hub, token, viewer)
    if connection is None:
        raise HTTPException(429, "Too many streams open")
    try:
        stream = await _stream(
            request, token, viewer, name or "", params.get("tag", ""), params.get("list", "")
        )
    except ValueError as error:
        hub.leave(connection)
        raise HTTPException(404, str(error)) from None
    connection.streams.add(stream)
    return StreamingResponse(
        _events(hub, connection),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(hub: Hub, connection: Connection) -> AsyncIterator[str]:
    try:
        yield ":)\n\n"
        while True:
            try:
                message = await asyncio.wait_for(connection.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ":thump\n\n"
                continue
            if message is None:
                return
            yield f"event: {message.event}\ndata: {message.payload}\n\n"
    finally:
        hub.leave(connection)


async def websocket(socket: WebSocket) -> None:
    """/api/v1/streaming as a WebSocket."""
    offered = _offered(socket)
    try:
        token, viewer = await _token(socket, offered)
    except OAuthError:
        await socket.close(code=4001, reason="Missing access token")
        return
    hub = hub_of(socket)
    connection = _connection(hub, token, viewer)
    if connection is None:
        await socket.close(code=4029, reason="Too many streams open")
        return
    writer: asyncio.Task[None] | None = None
    try:
        by_protocol = (
            offered and offered == socket.headers.get("sec-websocket-protocol", "").strip()
        )
        await socket.accept(subprotocol=offered if by_protocol else None)
        params = socket.query_params
        if params.get("stream"):
            with contextlib.suppress(ValueError):
                connection.streams.add(
                    await _stream(socket, token, viewer, params["stream"],
                                  params.get("tag", ""), params.get("list", ""))
                )  # fmt: skip
        writer = asyncio.create_task(_write(socket, connection))
        await _read(socket, token, viewer, hub, connection)
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(connection)
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)


async def _read(
    socket: WebSocket, token: AccessToken, viewer: Account, hub: Hub, connection: Connection
) -> None:
    """Subscribe and unsubscribe messages, until the client goes or the stream is closed.
    A member's streams, across all her connections, are at most MAX_STREAMS_PER_MEMBER:
    every event costs work for each of them."""
    while connection.open:
        text = await socket.receive_text()
        try:
            request = read_json(text[:4096])
            kind = request.get("type")
            stream = await _stream(
                socket, token, viewer, str(request.get("stream", "")),
                str(request.get("tag", "")), str(request.get("list", "")),
            )  # fmt: skip
        except (InvalidDocument, ValueError, AttributeError) as error:
            await socket.send_json({"error": str(error), "status": 400})
            continue
        if kind == "subscribe":
            if (
                len(connection.streams) >= MAX_SUBSCRIPTIONS
                or len(hub.streams_of(viewer.id) | {stream}) > MAX_STREAMS_PER_MEMBER
            ):
                await socket.send_json({"error": "Too many streams", "status": 429})
                continue
            connection.streams.add(stream)
        elif kind == "unsubscribe":
            connection.streams.discard(stream)


async def _write(socket: WebSocket, connection: Connection) -> None:
    """The connection's messages as frames, with a ping when nothing happens; closing the
    socket when the stream is closed (a suspended account, a revoked token, too slow)."""
    while True:
        try:
            message = await asyncio.wait_for(connection.queue.get(), HEARTBEAT_SECONDS)
        except TimeoutError:
            continue
        if message is None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await socket.close(code=1000)
            return
        await socket.send_json(as_json(message))


routes = [
    Route("/api/v1/streaming/health", health, methods=["GET", "HEAD"]),
    WebSocketRoute("/api/v1/streaming", websocket),
    WebSocketRoute("/api/v1/streaming/", websocket),
    Route("/api/v1/streaming/{stream:path}", server_sent),
]
