"""The interface's words in the reader's language: gettext catalogues (`node/locale/<lang>/
LC_MESSAGES/messages.po`, compiled in memory when first used), the language chosen for each
request (`?lang=`, then Accept-Language, else English), and `_`/`ngettext` for Python strings
that reach a page. Templates get the same callables through Jinja2's i18n extension.

The `.po` files are the only copy: compiling them at run time (a few milliseconds per language,
once per process) means no `.mo` file can be stale or missing after a `git pull`, `make run` or
a wheel install."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from functools import cache, lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from content import languages

LOCALES = Path(__file__).parent / "locale"
SOURCE = "en"
# Interface languages shipped, English (the source) first; each has a complete catalogue.
SHIPPED = ("en", "ro", "es", "pt", "fr", "de", "bg", "ru", "uk", "it", "pl", "hu")
MAX_OVERRIDE = 35

_current: ContextVar[NullTranslations | None] = ContextVar("translations", default=None)
_language: ContextVar[str] = ContextVar("language", default=SOURCE)
_SOURCE = NullTranslations()


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of a shipped language; English (the source) translates nothing."""
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def choose(accept_language: str, override: str = "") -> str:
    """The interface language for a reader: `?lang=` if shipped, else the best of
    Accept-Language, else English."""
    return languages.negotiate(SHIPPED, accept_language[:500], override[:MAX_OVERRIDE])


def request_language(request: Request) -> str:
    """The interface language of a request."""
    return choose(request.headers.get("accept-language", ""), request.query_params.get("lang", ""))


def activate(language: str) -> None:
    """Translate this request's (this task's) strings into `language`."""
    _current.set(translations(language))
    _language.set(language)


def current() -> str:
    """The current request's interface language."""
    return _language.get()


def gettext(message: str) -> str:
    """`message` in the current request's language."""
    return (_current.get() or _SOURCE).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in the current request's language."""
    return (_current.get() or _SOURCE).ngettext(singular, plural, count)


_ = gettext


def day(when: date) -> str:
    """A day as the current request's language writes it, month in words (`4 dec. 2026`)."""
    return _day(when if type(when) is date else date(when.year, when.month, when.day), current())


@lru_cache(maxsize=4096)
def _day(when: date, language: str) -> str:
    """A page lists many listings verified on the same days: Babel formats each once."""
    return format_date(when, "d MMM y", locale=language)


class InterfaceLanguage:
    """Choose each HTTP request's interface language before any handler runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            activate(request_language(Request(scope)))
        await self.app(scope, receive, send)


def N_(message: str) -> str:
    """Mark `message` for the catalogue where it is defined; `_` translates it where shown."""
    return message
