"""Rendering the node's Jinja2 templates."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from activitypub import web_url
from content import posts
from node import i18n
from node.state import services
from node.web import names, pictures

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"


@cache
def create_templates() -> Jinja2Templates:
    """The template set, with autoescaping on for every page; one per process, so each
    template is compiled once however many apps a process makes (the test suite makes one
    per test). Made for the first page, so Jinja2 (~2 MiB) is not loaded before a page is
    asked for (DESIGN.md, start-up)."""
    from starlette.templating import Jinja2Templates

    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    templates.env.filters["host"] = lambda url: urlsplit(str(url)).hostname or ""
    templates.env.filters["web_url"] = web_url  # a link from elsewhere: http(s) or nothing
    templates.env.filters["day"] = i18n.day
    templates.env.globals.update(names.GLOBALS)
    templates.env.filters["number"] = i18n.number
    templates.env.filters["moment"] = i18n.moment
    templates.env.filters["explain"] = i18n.explain
    templates.env.filters["own_name"] = i18n.own_name
    templates.env.filters["source"] = posts.source_of  # a post's text to edit
    templates.env.filters.update(pictures.FILTERS)  # pictures from this node only
    return templates


def _here(request: Request) -> str:
    """This page's path and query without `?lang=`, for the language switcher to come back to."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page from the node's templates in the reader's language, with the node's name at
    hand."""
    settings = services(request).settings
    interface = services(request).interface
    language = interface.request_language(request)
    interface.activate(language)
    return create_templates().TemplateResponse(
        request,
        template,
        {
            "language": language,
            "direction": i18n.direction(language),
            "languages": interface.languages,
            "here": _here(request),
            "node_name": settings.organisation_name,
            "domain": settings.domain,
            "discreet": getattr(request.state, "discreet", False),
            **context,
        },
        status_code=status_code,
        headers={"Vary": "Accept, Accept-Language, Cookie"},
    )
