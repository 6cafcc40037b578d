"""Exceptions to HTTP responses: JSON for machines, an HTML page for people."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from moderation.rate_limits import RateLimited
from node import i18n
from node.api.negotiation import wants_activitypub
from node.i18n import N_, _

log = logging.getLogger("harbour")
# The reasons Starlette gives by default, shown translated on the error page.
REASONS = (N_("Not Found"), N_("Method Not Allowed"), N_("Forbidden"), N_("Bad Request"))


def _wants_html(request: Request) -> bool:
    """People get pages; the client API and machines always get JSON."""
    if request.url.path.startswith(("/api/", "/oauth/token", "/oauth/revoke")):
        return False
    return "text/html" in request.headers.get("accept", "") and not wants_activitypub(request)


async def http_error(request: Request, exc: Exception) -> Response:
    """An HTTPException as `{"error": ...}` or as the error page."""
    assert isinstance(exc, HTTPException)
    if _wants_html(request):
        detail = str(exc.detail)
        # Only the interface's own words reach the page: a detail with something a visitor
        # typed in it (a name in the address) is never shown as the page's headline.
        message = _(detail if detail in i18n.marked() else _generic(exc.status_code))
        return _page(request, exc.status_code, message)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _page(request: Request, status: int, message: str) -> Response:
    """The error page: the pages' rendering is imported with the first page."""
    from node.web.rendering import render

    return render(request, "error.html", status_code=status, message=message)


def _generic(status: int) -> str:
    """What the error page says when the detail is not the interface's own words."""
    if status in (404, 410):
        return N_("There is no such page.")
    if status in (401, 403):
        return N_("You may not see this page.")
    if status < 500:
        return N_("That request cannot be answered.")
    return N_("Something went wrong on this node. Please try again later.")


async def too_many(request: Request, exc: Exception) -> Response:
    """A rate limit was hit: 429 with `Retry-After`, as JSON or as the error page."""
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(exc.retry_after)}
    if _wants_html(request):
        from babel.dates import format_timedelta  # Babel's dates: on the first page with one

        locale = i18n.locale_of(i18n.current())
        wait = format_timedelta(exc.retry_after, threshold=1.5, locale=locale)  # 89 seconds
        message = _("Too many attempts; please try again in %(time)s.") % {"time": wait}
        response = _page(request, 429, message)
        response.headers.update(headers)
        return response
    return JSONResponse({"error": str(exc)}, status_code=429, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: logged with its traceback, answered without details."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    message = N_("Something went wrong on this node. Please try again later.")
    if _wants_html(request):
        return _page(request, 500, _(message))
    return JSONResponse({"error": message}, status_code=500)
