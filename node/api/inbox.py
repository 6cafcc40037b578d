"""Inbox POSTs: personal and shared inboxes, handed to `federation.inbox.receive`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from activitypub.signatures import RequestParts
from federation import inbox
from node.state import services


async def post_inbox(request: Request) -> Response:
    """Verify and queue an activity; 202 once it is stored, a JSON error otherwise."""
    body = await request.body()
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    path = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    parts = RequestParts(request.method, path, dict(request.headers), body)
    outcome = await inbox.receive(services(request).federation, parts)
    if outcome.status == 202:
        return Response(status_code=202)
    return JSONResponse({"error": outcome.message}, status_code=outcome.status)


routes = [
    Route("/inbox", post_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", post_inbox, methods=["POST"]),
    Route("/actor/inbox", post_inbox, methods=["POST"]),
]
