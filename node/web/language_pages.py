"""Choosing the interface language (the switcher on every page posts here) and
`/about/languages`: each language offered, how its words were made and whether a native
speaker reviewed them, read from its catalogue's header comments."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import users
from node import i18n
from node.database import session_scope
from node.i18n import _
from node.state import services
from node.web.rendering import render
from node.web.sessions import local_path, signed_in_account, signed_in_login

MADE_BY = "Made by:"
REVIEWED = "Reviewed by a native speaker:"


@dataclass(frozen=True)
class LanguageStatus:
    """What a catalogue's header says about its words."""

    language: str
    machine: bool  # machine translation, not a person's
    reviewed: bool  # a native speaker checked it


def header_line(comment: str, key: str) -> str:
    """The rest of the header comment line starting with `key` (empty if none)."""
    for line in comment.splitlines():
        text = line.lstrip("# ").strip()
        if text.startswith(key):
            return text[len(key) :].strip().lower()
    return ""


@cache
def status_of(language: str) -> LanguageStatus:
    """The `Made by:` and `Reviewed by a native speaker:` lines of a shipped catalogue (read
    once per process)."""
    comment = i18n.read_catalogue(i18n.catalogue_path(language), language).header_comment
    return LanguageStatus(
        language,
        machine=header_line(comment, MADE_BY).startswith("machine"),
        reviewed=header_line(comment, REVIEWED).startswith("yes"),
    )


async def choose_language(request: Request) -> Response:
    """`POST /language` from the switcher: remember the choice in the account of a signed-in
    member, else in a cookie (and in this visit's session, for the account made or signed
    in next); back to the page it was made on."""
    form = await request.form(max_fields=5, max_files=0)
    language = str(form.get("language", ""))
    back = local_path(str(form.get("next", ""))[:2048]) or "/"
    response = RedirectResponse(back, status_code=303)
    if language not in services(request).interface.languages:
        return response
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_login(request, session)
        user = await users.user_of(session, viewer) if viewer else None
        if user is not None:
            user.language = language
            return response
    request.session[i18n.CHOSEN] = language
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=i18n.COOKIE_SECONDS,
        samesite="lax",
        secure=not services(request).settings.development,
        httponly=True,
    )
    return response


async def about_languages(request: Request) -> Response:
    """`/about/languages`: the interface's languages and how far to trust each."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
    shipped = [status_of(tag) for tag in i18n.SHIPPED if tag != i18n.SOURCE]
    return render(
        request,
        "languages.html",
        viewer=viewer,
        source=i18n.SOURCE,
        shipped=shipped,
        title=_("The interface’s languages"),
    )


routes = [
    Route("/language", choose_language, methods=["POST"]),
    Route("/about/languages", about_languages),
]
