"""Inbox POSTs: personal and shared inboxes, handed to `federation.inbox.receive`.

`InboxFirst` takes them ahead of the middleware and routing made for pages (sessions,
language, quick exit, forms, the routing table), which they never use: about a tenth of
the CPU an accepted POST cost (issue 18). What those layers did for an inbox POST it still
does: the body is capped as `BodySizeLimit` caps it, and the layers outside it (client
address dropped, access log, security headers, no-store) and the 500 handler are unchanged.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activitypub.signatures import RequestParts
from content.foreground import serving
from federation import inbox
from node.api.signed import scope_parts
from node.middleware import declared_too_large, is_inbox, too_large
from node.state import Services


async def _outcome(found: Services, parts: RequestParts) -> inbox.Outcome:
    with serving():  # the worker in this process makes way
        return await inbox.receive(found.federation, parts)


def _refusal(outcome: inbox.Outcome) -> JSONResponse:
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    return JSONResponse({"error": outcome.message}, status_code=outcome.status, headers=headers)


async def _accepted(send: Send) -> None:
    """An empty 202, sent without building a `Response` per request."""
    await send({"type": "http.response.start", "status": 202, "headers": [_NO_BODY]})
    await send({"type": "http.response.body", "body": b""})


_NO_BODY = (b"content-length", b"0")
# A server sends a whole activity at once: one whose body trickles in (slowloris) held a
# connection and its task for as long as it liked (attack7).
BODY_SECONDS = 10.0
_POST_ONLY = JSONResponse(
    {"error": "an inbox takes only POST"}, status_code=405, headers={"Allow": "POST"}
)


_SLOW = JSONResponse(
    {"error": f"the request body did not arrive within {BODY_SECONDS:.0f} seconds"},
    status_code=408,
    headers={"Connection": "close"},
)


class InboxFirst:
    """Requests to an inbox answered here (a POST verified and queued: 202 once it is
    stored, a JSON error otherwise; any other method 405); everything else goes on to
    `app`. Installed inside the middleware every answer needs and outside the rest
    (`node.app`)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_inbox(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _POST_ONLY(scope, receive, send)
            return
        if declared_too_large(scope, self.max_bytes):
            await too_large(send, self.max_bytes)
            return
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await _body(receive, self.max_bytes)
        except _Gone:
            return  # the sender left before its body arrived: nobody to answer
        except TimeoutError:
            await _SLOW(scope, receive, send)
            return
        if body is None:
            await too_large(send, self.max_bytes)
            return
        found: Services = scope["app"].state.services
        outcome = await _outcome(found, scope_parts(scope, body))
        if outcome.status == 202:
            await _accepted(send)
        else:
            await _refusal(outcome)(scope, receive, send)


class _Gone(Exception):
    """The client disconnected while its body was read."""


async def _body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body (not counted as served: a body that trickles holds nobody back);
    None past `max_bytes`; `_Gone` if the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
