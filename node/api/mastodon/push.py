"""Web Push subscriptions through the client API, as Mastodon serves them: one per app
token, created, read, changed (alerts and policy) and deleted at /api/v1/push/subscription."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import push_subscriptions
from content.push_subscriptions import ALERTS, PushError, PushSubscription, token_box
from federation.push import server_key, vapid_key
from node.api.mastodon.requests import bearer, read_params, token_of
from node.database import session_scope
from node.i18n import explain
from node.state import services

SCOPE = "push"
TRUE = ("true", "1", "on", "yes")


async def subscription(request: Request) -> Response:
    """GET, POST, PUT and DELETE /api/v1/push/subscription."""
    token, member = await token_of(request, SCOPE)
    if member is None:
        raise HTTPException(422, "This method requires an authenticated user")
    params = await read_params(request)
    settings = services(request).settings
    async with session_scope(services(request).sessions) as session:
        if request.method == "DELETE":
            await push_subscriptions.remove(session, token.id)
            return JSONResponse({})
        if request.method == "POST":
            try:
                row = await push_subscriptions.subscribe(
                    session,
                    token_id=token.id,
                    member=member,
                    endpoint=push_subscriptions.check_endpoint(
                        str(_field(params, "subscription", "endpoint") or ""),
                        allow_http=settings.development,
                    ),
                    p256dh=push_subscriptions.public_key_bytes(
                        str(_field(params, "subscription", "keys", "p256dh") or "")
                    ),
                    auth=push_subscriptions.key_bytes(
                        str(_field(params, "subscription", "keys", "auth") or ""),
                        16,
                        push_subscriptions.BAD_SECRET,
                    ),
                    alerts=_alerts(params),
                    policy=str(_field(params, "data", "policy") or params.get("policy") or "all"),
                    standard=_true(_field(params, "subscription", "standard")),
                    sealed_token=token_box(settings.secret_key).seal(bearer(request)),
                )
            except PushError as error:
                return JSONResponse({"error": explain(error)}, status_code=422)
            return JSONResponse(_entity(row, settings.secret_key))
        found = await push_subscriptions.of_token(session, token.id)
        if found is None:
            raise HTTPException(404, "Record not found")
        if request.method == "PUT":
            policy = _field(params, "data", "policy") or params.get("policy")
            push_subscriptions.change(found, _alerts(params), str(policy) if policy else None)
        return JSONResponse(_entity(found, settings.secret_key))


def _entity(row: PushSubscription, secret: str) -> dict[str, Any]:
    """The WebPushSubscription entity."""
    return {
        "id": str(row.id),
        "endpoint": row.endpoint,
        "standard": row.standard,
        "alerts": row.wanted(),
        "policy": row.policy,
        "server_key": server_key(vapid_key(secret)),
    }


def _field(params: dict[str, Any], *path: str) -> Any:
    """A value by its path: `subscription[keys][auth]` in a form, nested objects in JSON."""
    flat = path[0] + "".join(f"[{part}]" for part in path[1:])
    if flat in params:
        return params[flat]
    found: Any = params
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _alerts(params: dict[str, Any]) -> dict[str, bool]:
    """The alerts named in the request, each true or false."""
    chosen = {}
    for kind in ALERTS:
        value = _field(params, "data", "alerts", kind)
        if value is not None:
            chosen[kind] = _true(value)
    return chosen


def _true(value: Any) -> bool:
    """A boolean as forms and JSON send it."""
    return value is True or str(value).strip().lower() in TRUE


routes = [
    Route("/api/v1/push/subscription", subscription, methods=["GET", "POST", "PUT", "DELETE"]),
]
