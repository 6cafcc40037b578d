"""The interface's words in the reader's language: gettext catalogues (`node/locale/<lang>/
LC_MESSAGES/messages.po`, each compiled in memory the first time a reader needs it), the
language chosen for each request (`?lang=`, then the signed-in member's language, then the
`harbour_language` cookie, then Accept-Language, else English), and `_`/`ngettext` for Python
strings that reach a page. Templates get the same callables through Jinja2's i18n extension.

The `.po` files are the only copy: compiling them in the process (~15 ms per language, once
per process; on first use, so a restart does not wait ~150 ms for all eleven and a node
whose readers use two languages holds two) means no `.mo` file can be stale or missing after
a `git pull`, `make run` or a wheel install."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from content import languages
from content.interface_text import Message
from node.middleware import is_inbox

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog

LOCALES = Path(__file__).parent / "locale"
SOURCE = "en"
# Interface languages shipped, English (the source) first; each has a complete catalogue.
SHIPPED = ("en", "ro", "bg", "ru", "uk", "es", "pt", "fr", "de", "it", "pl", "hu")
MAX_OVERRIDE = 35
# The visitor's choice from the language switcher; a member's is kept in their account too.
COOKIE = "harbour_language"
# The reader's time zone, kept the same way (node.web.time_zones).
TIME_ZONE_COOKIE = "harbour_time_zone"
COOKIE_SECONDS = 400 * 24 * 3600  # the longest browsers keep a cookie
# The switcher's choice in this browser's session: the one a member's account takes at sign-in
# (never the cookie, which may be another person's on a shared phone).
CHOSEN = "chosen_language"

_current: ContextVar[NullTranslations | None] = ContextVar("translations", default=None)
_language: ContextVar[str] = ContextVar("language", default=SOURCE)
_SOURCE = NullTranslations()


def catalogue_path(language: str, locales: Path = LOCALES) -> Path:
    """Where a language's catalogue is."""
    return locales / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(path: Path, language: str) -> Catalog:
    """A `.po` file as a Babel catalogue."""
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        return read_po(po, locale=language)


@cache
def compile_catalogue(path: Path, language: str) -> NullTranslations:
    """A `.po` file compiled in memory (once per process)."""
    from babel.messages.mofile import write_mo

    compiled = BytesIO()
    write_mo(compiled, read_catalogue(path, language))
    compiled.seek(0)
    from babel.support import Translations

    return Translations(compiled)


class Catalogues(Mapping[str, NullTranslations]):
    """The offered languages' catalogues by language, each compiled when first looked up
    (English, the source, needs none)."""

    def __init__(self, paths: Mapping[str, Path | None]) -> None:
        self._paths = dict(paths)

    def __getitem__(self, language: str) -> NullTranslations:
        path = self._paths[language]
        return _SOURCE if path is None else compile_catalogue(path, language)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass(frozen=True)
class Interface:
    """The interface languages a node offers, English first, and their catalogues."""

    catalogues: Mapping[str, NullTranslations]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.catalogues)

    def choose(self, accept_language: str = "", override: str = "", remembered: str = "") -> str:
        """The language to show: `override` (`?lang=`) if offered, else the `remembered`
        choice (account or cookie), else the best of Accept-Language (q-values; `pt-BR` is
        served by `pt`), else English."""
        offered = self.languages
        return (
            languages.best(offered, "", override[:MAX_OVERRIDE])
            or languages.best(offered, "", remembered[:MAX_OVERRIDE])
            or languages.negotiate(offered, accept_language[:500])
        )

    def request_language(self, request: Request) -> str:
        """The interface language of a request (a signed-in member's language once
        `remember_account_language` has read it)."""
        account = getattr(request.state, "account_language", None) or ""
        return self.choose(
            request.headers.get("accept-language", ""),
            request.query_params.get("lang", ""),
            account
            if languages.best(self.languages, "", account)
            else request.cookies.get(COOKIE, ""),
        )

    def activate(self, language: str) -> None:
        """Translate this request's (this task's) strings into `language`."""
        _current.set(self.catalogues.get(language, _SOURCE))
        _language.set(language)


@cache
def marked() -> frozenset[str]:
    """Every string of the interface's catalogue, as written in English."""
    from babel.messages.pofile import read_po

    with (LOCALES / "messages.pot").open("rb") as pot:
        return frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id)


def load(extra: Path | None = None) -> Interface:
    """The shipped languages' catalogues, each compiled on first use; with `extra` (tests
    only: see Settings.test_locales) also every catalogue found under that directory."""
    found: dict[str, Path | None] = {SOURCE: None}
    for language in SHIPPED[1:]:
        found[language] = catalogue_path(language)
    for path in sorted(extra.glob("*/LC_MESSAGES/messages.po")) if extra else []:
        found[path.parents[1].name] = path
    return Interface(Catalogues(found))


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


def explain(message: object) -> str:
    """A message from the layers below (an exception, or its text) in the current request's
    language: a `Message` with its values put back into the translated template, a plain
    message (marked with `N_` where written) translated as it is."""
    if isinstance(message, BaseException):
        message = message.args[0] if message.args else str(message)
    if isinstance(message, Message):
        return gettext(message.template) % message.values
    return gettext(str(message))


@cache
def locale_of(language: str) -> Locale:
    """Babel's locale data for an interface language (its primary language if the tag is
    not in CLDR), English if none. Babel is imported on the first page that needs it."""
    from babel import Locale, UnknownLocaleError

    for tag in (language, language.split("-")[0]):
        try:
            return Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse(SOURCE)


def direction(language: str) -> str:
    """`rtl` or `ltr`: the way a language's text runs (CLDR's character order)."""
    return "rtl" if locale_of(language).character_order == "right-to-left" else "ltr"


def own_name(language: str) -> str:
    """A language's name in itself, as a list of languages starts it (`Română`)."""
    name = languages.native_name(language)
    return name[:1].upper() + name[1:]


def day(when: date) -> str:
    """A day as the current request's language writes it, month in words (`4 dec. 2026`)."""
    return _day(when if type(when) is date else date(when.year, when.month, when.day), current())


@lru_cache(maxsize=4096)
def _day(when: date, language: str) -> str:
    """A page lists many listings verified on the same days: Babel formats each once."""
    from babel.dates import format_date  # on the first page that shows a day

    return format_date(when, "d MMM y", locale=locale_of(language))


def moment(when: datetime) -> str:
    """A time (UTC) as the current request's language writes it (`4 dec. 2026, 11:21 UTC`)."""
    from babel.dates import format_datetime

    written = format_datetime(when, "d MMM y, HH:mm", tzinfo=UTC, locale=locale_of(current()))
    return gettext("%(time)s UTC") % {"time": written}


def number(value: int | float) -> str:
    """A number as the current request's language writes it (`12 345`, `12,345`)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale_of(current()))


class InterfaceLanguage:
    """Choose each HTTP request's interface language before any handler runs."""

    def __init__(self, app: ASGIApp, interface: Interface) -> None:
        self.app = app
        self.interface = interface

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Not for inboxes (English JSON for servers): 16 us of an inbox POST's middleware.
        if scope["type"] == "http" and not is_inbox(scope["path"]):
            self.interface.activate(self.interface.request_language(Request(scope)))
        await self.app(scope, receive, send)


def N_(message: str) -> str:
    """Mark `message` for the catalogue where it is defined; `_` translates it where shown."""
    return message
