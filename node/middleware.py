"""Pure ASGI middleware: drop client addresses, log without them, cap bodies, secure headers,
refuse forms posted from other sites."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("harbour.access")


def content_security_policy(*form_targets: str) -> bytes:
    """The pages' policy: nothing from elsewhere, forms sent only here and to `form_targets`
    (sources such as `https://app.example` or `tusky:`, where the OAuth consent form redirects)."""
    form_action = " ".join(("'self'", *form_targets))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    ).encode()


# `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` on form posts,
# and the same-origin check on forms could not tell this site from another.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"interest-cohort=(), browsing-topics=()"),
    (b"content-security-policy", content_security_policy()),
]


class DropClientAddress:
    """Remove the client's IP address from every request before anything can read it.

    Harbour never stores or logs IP addresses: the people it serves can be endangered by them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "client": None}
        await self.app(scope, receive, send)


class NoAddressInWebSocketLog(logging.Filter):
    """Uvicorn logs each WebSocket handshake with the client's address and the whole path,
    query included (where a token may be): keep the line, as `a client - "WebSocket /path"`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket'):
            rest = record.args[1:] if isinstance(record.args, tuple) else ()
            path = str(rest[0]).split("?", 1)[0] if rest else ""
            record.args = ("a client", path, *rest[1:])
        return True


class AccessLog:
    """Log method, path (without query string), status and duration; nothing about the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )


class SecurityHeaders:
    """Headers that keep pages from being framed, sniffed, or leaking where readers came from.
    A response that sets one of them itself (the OAuth consent page's policy) keeps its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


FAVICON_PATH = "/favicon.ico"


class NoStore:
    """`Cache-Control: no-store` on every answer to a signed-in request (one carrying the
    session cookie or a bearer token), every answer that sets a cookie, and everything under
    /api/ and /oauth/: nothing a member saw is kept for Back or for whoever takes the phone."""

    def __init__(self, app: ASGIApp, cookie: str) -> None:
        self.app = app
        self.cookie = cookie.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        private = (
            b"authorization" in request_headers
            or self.cookie + b"=" in request_headers.get(b"cookie", b"")
            or scope["path"].startswith(("/api/", "/oauth/"))
        ) and scope["path"] != FAVICON_PATH  # the same icon for everyone: kept, even signed in

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if private or any(name.lower() == b"set-cookie" for name, _ in headers):
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_private)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_SITE_REFUSED = b"forms are accepted from this site only"


def signed_or_bearer(path: str) -> bool:
    """Paths that authenticate every request by HTTP signature (inboxes) or bearer token (the
    client API, OAuth token and revocation): a browser's cookie grants nothing there."""
    return path.startswith("/api/") or path in ("/oauth/token", "/oauth/revoke") or is_inbox(path)


def is_inbox(path: str) -> bool:
    """The shared, instance actor's and members' inboxes: signed POSTs from other servers,
    answered with a status and English JSON, never a page."""
    return path in ("/inbox", "/actor/inbox") or (
        path.startswith("/users/")
        and path.endswith("/inbox")
        and path.count("/") == 3
        and len(path) > len("/users//inbox")  # a username, as the route needs
    )


class SameOriginForms:
    """Refuse any state-changing request a browser sends from another site (cross-site request
    forgery, login CSRF included) with 403: an `Origin` other than this node's (`null` too) or
    a `Sec-Fetch-Site` other than `same-origin`. A request with neither comes from no browser
    (a browser sends Origin with every POST) and passes. `signed_or_bearer` paths are exempt."""

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.origin = origin.rstrip("/").lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and not signed_or_bearer(scope["path"])
            and not self._same_site(scope)
        ):
            await _answer(send, 403, b"text/plain; charset=utf-8", CROSS_SITE_REFUSED)
            return
        await self.app(scope, receive, send)

    def _same_site(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        fetch_site = headers.get(b"sec-fetch-site")
        if origin is not None and origin.strip().lower() != self.origin:
            return False
        return fetch_site is None or fetch_site.strip().lower() in (b"same-origin", b"none")


class BodyTooLarge(Exception):
    """A request body went over the cap while it was being read."""


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or while streaming.
    Paths in `larger` (exact matches: the upload endpoints) have their own, larger cap."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.default_max_bytes)
        if declared_too_large(scope, max_bytes):
            await too_large(send, max_bytes)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await too_large(send, max_bytes)


def declared_too_large(scope: Scope, max_bytes: int) -> bool:
    """Whether a request's Content-Length is not a number or is over `max_bytes` (a body
    sent without one is counted as it arrives)."""
    declared = dict(scope["headers"]).get(b"content-length", b"0")
    return not declared.isdigit() or int(declared) > max_bytes


async def too_large(send: Send, max_bytes: int) -> None:
    """Answer 413, saying the cap."""
    body = b'{"error":"the request body is larger than %d bytes"}' % max_bytes
    await _answer(send, 413, b"application/json", body)


async def _answer(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
