"""Choosing the language to show a reader: the best of the available BCP 47 tags for an
Accept-Language header (with q-values) or an explicit `?lang=` choice, English by default;
and the names of languages in their own language, for a switcher. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

import langcodes

DEFAULT = "en"
MAX_RANGES = 20


def requested(accept_language: str) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first (ties keep their
    order; q=0 and malformed entries are left out)."""
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:MAX_RANGES]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().lower().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.strip() and 0 < quality <= 1:
            ranges.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranges)]


def _match(wanted: str, available: Sequence[str]) -> str | None:
    """The available tag that serves a wanted range: the same tag, or the same primary
    language (`fr-CH` is served by `fr`, `fr` by `fr-FR`)."""
    if wanted == "*":
        return available[0] if available else None
    lowered = {tag.lower(): tag for tag in available}
    if (exact := lowered.get(wanted.lower())) is not None:
        return exact
    primary = wanted.split("-", 1)[0].lower()
    for tag in available:
        if tag.split("-", 1)[0].lower() == primary:
            return tag
    return None


def best(available: Sequence[str], accept_language: str, override: str = "") -> str | None:
    """The `override` (from `?lang=`) if available, else the best match for the header, else
    None."""
    for wanted in ([override] if override else []) + requested(accept_language):
        if (found := _match(wanted, available)) is not None:
            return found
    return None


def negotiate(
    available: Sequence[str], accept_language: str = "", override: str = "", default: str = DEFAULT
) -> str:
    """The tag to show from `available`: the `best` one for the reader, else `default`, else
    the first available tag."""
    return (
        best(available, accept_language, override)
        or _match(default, available)
        or (available[0] if available else default)
    )


def language_tag(raw: str) -> str | None:
    """A BCP 47 tag in its standard form (`PT-br`: `pt-BR`), or None if `raw` is not one."""
    raw = raw.strip()
    if not raw or len(raw) > 35 or not langcodes.tag_is_valid(raw):
        return None
    return langcodes.standardize_tag(raw)


def native_name(tag: str) -> str:
    """A language's name in that language (`fr`: français, `pt-BR`: português (Brasil))."""
    try:
        return str(langcodes.Language.get(tag).display_name(tag))
    except (ValueError, LookupError):
        return tag
