"""Test-only interface locales, made from the interface's strings (extracted as `make messages`
does) when the tests run, never shipped:

- the pseudo-locale turns every ASCII letter of every string into an accented look-alike and
  wraps the string in ⟦…⟧, keeping placeholders (`%(name)s`) and HTML tags as they are, so any
  ASCII letter left on a page in it is English the catalogue did not translate. It borrows
  Japanese's CLDR data (`ja`: dates, numbers, one plural form), so a date or number not
  written by Babel in the reader's locale shows up as ASCII too;
- the right-to-left locale (`ar`, so CLDR says right-to-left) writes every letter as an
  Arabic one, which proves the layout with `dir="rtl"`.

Point Settings.test_locales (HARBOUR_TEST_LOCALES) at the directory `write_test_locales` fills.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

ROOT = Path(__file__).parents[1]
PSEUDO = "ja"
RTL = "ar"
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_ACCENTED = "àƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýž"
_ACCENTED_CAPITALS = "ÀɃÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهو"[:26]
PSEUDO_LETTERS = str.maketrans(_LATIN + _LATIN.upper(), _ACCENTED + _ACCENTED_CAPITALS)
RTL_LETTERS = str.maketrans(_LATIN + _LATIN.upper(), _ARABIC + _ARABIC)
# Kept as they are: placeholders, HTML tags and character references.
KEPT = re.compile(r"%\(\w+\)s|%[sd%]|\{\w*\}|<[^>]*>|&\w+;|&#\d+;")


def transform(message: str, letters: dict[int, int]) -> str:
    """`message` with its letters replaced, placeholders and tags kept, wrapped in ⟦…⟧."""
    pieces, last = [], 0
    for kept in KEPT.finditer(message):
        pieces += [message[last : kept.start()].translate(letters), kept.group()]
        last = kept.end()
    pieces.append(message[last:].translate(letters))
    return "⟦" + "".join(pieces) + "⟧"


@functools.cache
def source_messages() -> dict[str, str | tuple[str, ...]]:
    """The interface's strings as `make messages` extracts them (babel.cfg), by msgid; read
    once per test process (an extraction walks the sources: ~1.3 s of CPU each time). Do not
    change what it returns."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found: dict[str, str | tuple[str, ...]] = {}
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        found[message if isinstance(message, str) else message[0]] = message
    return found


def write_test_locales(directory: Path) -> Path:
    """The pseudo and right-to-left catalogues, written under `directory`."""
    messages = source_messages()
    for language, letters in ((PSEUDO, PSEUDO_LETTERS), (RTL, RTL_LETTERS)):
        catalog = Catalog(locale=language)
        for message in messages.values():
            if isinstance(message, str):
                catalog.add(message, transform(message, letters))
            else:
                plural = transform(message[1], letters)
                forms = [transform(message[0], letters)] + [plural] * (catalog.num_plurals - 1)
                catalog.add(
                    message, forms[: catalog.num_plurals] if catalog.num_plurals > 1 else [plural]
                )
        path = directory / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, catalog)
    return directory
