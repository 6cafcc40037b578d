"""Marking Harbour's own words for the message catalogue: `N_("…")` returns its argument
unchanged; `make messages` (babel.cfg) extracts it, and the web layer translates it where it
is shown, in the reader's language."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for the catalogue."""
    return message


class Message(str):
    """A message with values in it: reads as its English text, and keeps the marked
    `template` and its `values` so the web layer can show it in the reader's language."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Message:
        made = super().__new__(cls, template % values if values else template)
        made.template, made.values = template, values
        return made
