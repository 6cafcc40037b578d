"""The quick exit that hides where she was, with or without script.

`GET /exit` ends the browser's session on the server, sets a short-lived marker cookie and
sends her to the node's neutral page. While the marker lasts, `LeftMarker` answers every
request for a Harbour web page with that same redirect (no-store), so Back, which asks the
server again for the no-store page behind, lands on the neutral page again. The marker only
expires: no link or parameter lifts it sooner, since anything that could would sit in the
browser's history for whoever takes the phone.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from content import languages
from node import i18n
from node.api.negotiation import wants_activitypub
from node.middleware import signed_or_bearer
from node.settings import Settings
from node.state import services

EXIT_PATH = "/exit"
# Holds nothing but "1": no account, no time, nothing that says who left.
MARKER = "left"
MARKER_SECONDS = 15 * 60
# Not pages: the client API, ActivityPub discovery, static files (and `signed_or_bearer`).
NOT_PAGES = ("/api/", "/static/", "/.well-known/", "/nodeinfo/")


def neutral_page(settings: Settings, accept_language: str) -> str:
    """Where the exit leaves for: the node's page in the reader's language, if it set one,
    else its default."""
    chosen = languages.best(list(settings.quick_exit_urls), accept_language[:500])
    return settings.quick_exit_urls[chosen] if chosen else settings.quick_exit_url


def away(settings: Settings, accept_language: str) -> RedirectResponse:
    """303 to the neutral page, kept by nothing, leaking nothing of where it came from."""
    return RedirectResponse(
        neutral_page(settings, accept_language),
        status_code=303,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Vary": "Accept-Language, Cookie",
        },
    )


async def leave(request: Request) -> Response:
    """`GET /exit`: sign out here (the old cookie is worth nothing after), set the marker and
    go to the neutral page. Needs nothing from the page: the link works without script."""
    from node.web.sessions import end_session  # the sign-in pages' module: loaded at first use

    await end_session(request)
    settings = services(request).settings
    response = away(settings, request.headers.get("accept-language", ""))
    response.delete_cookie(i18n.COOKIE)  # no trace of the language she read Harbour in
    response.delete_cookie(i18n.TIME_ZONE_COOKIE)
    response.set_cookie(
        MARKER,
        "1",
        max_age=MARKER_SECONDS,
        httponly=True,
        samesite="lax",
        secure=not settings.development,
    )
    return response


class LeftMarker:
    """While the marker cookie is present, every request for a web page (any method, so no
    form changes anything either) is sent to the neutral page instead. The client API,
    ActivityPub (by path or by Accept), inboxes, discovery and static files are untouched;
    so is `/exit` itself, which always signs out."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not _never_hidden(scope["path"])  # the inbox's hot path: no Request made
            and self._hidden(request := Request(scope))
        ):
            answer = away(self.settings, request.headers.get("accept-language", ""))
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _hidden(request: Request) -> bool:
        return (
            request.cookies.get(MARKER) is not None
            and not _never_hidden(request.url.path)
            and not wants_activitypub(request)
        )


def _never_hidden(path: str) -> bool:
    return path == EXIT_PATH or path.startswith(NOT_PAGES) or signed_or_bearer(path)


routes = [Route(EXIT_PATH, leave, methods=["GET"])]
