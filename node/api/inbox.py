"""Inbox POSTs: personal and shared inboxes, handed to `federation.inbox.receive`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content.foreground import serving
from federation import inbox
from node.api.signed import request_parts
from node.state import services


async def post_inbox(request: Request) -> Response:
    """Verify and queue an activity; 202 once it is stored, a JSON error otherwise."""
    with serving():  # the worker in this process makes way
        parts = request_parts(request, await request.body())
        outcome = await inbox.receive(services(request).federation, parts)
    if outcome.status == 202:
        return Response(status_code=202)
    headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
    return JSONResponse({"error": outcome.message}, status_code=outcome.status, headers=headers)


routes = [
    Route("/inbox", post_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", post_inbox, methods=["POST"]),
    Route("/actor/inbox", post_inbox, methods=["POST"]),
]
