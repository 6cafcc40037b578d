"""Editing a local profile: name, note, fields, flags, avatar and header, within limits."""

from __future__ import annotations

from collections.abc import Sequence

from content.accounts import Account
from content.interface_text import N_, Message
from content.sanitize import render_plain_text

MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELDS = 4
MAX_FIELD_LENGTH = 255


class ProfileError(ValueError):
    """A profile change is refused; the message is fit to show the member."""


def edit(
    account: Account,
    *,
    display_name: str | None = None,
    note: str | None = None,
    locked: bool | None = None,
    discoverable: bool | None = None,
    bot: bool | None = None,
    fields: Sequence[tuple[str, str]] | None = None,
    hide_from_guests: bool | None = None,
) -> None:
    """Change what is given; the note is plain text, rendered to sanitised HTML like a post."""
    if not account.is_local:
        raise ProfileError(N_("only local profiles are edited here"))
    if display_name is not None:
        if len(display_name) > MAX_DISPLAY_NAME:
            raise ProfileError(
                Message(
                    N_("a display name has at most %(count)s characters"), count=MAX_DISPLAY_NAME
                )
            )
        account.display_name = " ".join(display_name.split())
    if note is not None:
        if len(note) > MAX_NOTE:
            raise ProfileError(
                Message(N_("a bio has at most %(count)s characters"), count=MAX_NOTE)
            )
        account.note_text = note.strip()
        account.summary_html = render_plain_text(note)
    if locked is not None:
        account.manually_approves_followers = locked
    if discoverable is not None:
        account.discoverable = discoverable
    if bot is not None:
        account.bot = bot
    if hide_from_guests is not None:
        account.hide_from_guests = hide_from_guests
    if fields is not None:
        account.fields = _fields(fields)


def _fields(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    kept = [(n.strip(), v.strip()) for n, v in pairs if n.strip() or v.strip()]
    if len(kept) > MAX_FIELDS:
        raise ProfileError(Message(N_("a profile has at most %(count)s fields"), count=MAX_FIELDS))
    if any(len(n) > MAX_FIELD_LENGTH or len(v) > MAX_FIELD_LENGTH for n, v in kept):
        raise ProfileError(
            Message(
                N_("a field's name and value have at most %(count)s characters"),
                count=MAX_FIELD_LENGTH,
            )
        )
    return [{"name": n, "value": v} for n, v in kept]


def set_image(account: Account, which: str, url: str) -> str | None:
    """Point the avatar or header at a new image; return the URL it replaced, if any."""
    if which not in ("avatar", "header"):
        raise ValueError(which)
    previous: str | None = getattr(account, f"{which}_url")
    setattr(account, f"{which}_url", url)
    return previous
