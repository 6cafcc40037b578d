"""Marking Harbour's own words for the message catalogue: `N_("…")` returns its argument
unchanged; `make messages` (babel.cfg) extracts it, and the web layer translates it where it
is shown, in the reader's language."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for the catalogue."""
    return message
