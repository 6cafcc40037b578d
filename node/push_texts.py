"""What a member's phone shows for a pushed notification: its title and body in her
language, from the interface's catalogues, and the sender's picture from this node."""

from __future__ import annotations

from gettext import NullTranslations

from content.accounts import Account
from content.interface_text import N_
from content.notifications import Notification
from content.posts import Post
from content.sanitize import strip_html
from federation.push import PushText, Words
from node.i18n import Interface

BODY_CHARACTERS = 140
TITLES = {
    "mention": N_("%(name)s mentioned you"),
    "status": N_("%(name)s posted"),
    "reblog": N_("%(name)s boosted your post"),
    "follow": N_("%(name)s followed you"),
    "follow_request": N_("%(name)s asked to follow you"),
    "favourite": N_("%(name)s favourited your post"),
    "poll": N_("A poll has ended"),
    "update": N_("%(name)s edited a post"),
}
OTHER = N_("You have a new notification")


def words(interface: Interface, base_url: str) -> Words:
    """The node's `Words` for the worker's pushes."""

    def text(
        notification: Notification, sender: Account, post: Post | None, language: str
    ) -> PushText:
        from node.api.mastodon.entities import picture_url  # the Mastodon API's: the first push

        catalogue = _catalogue(interface, language)
        name = sender.display_name or f"@{sender.handle}"
        title = catalogue.gettext(TITLES.get(notification.type, OTHER))
        # As Mastodon: a post's content warning rather than what it hides (a phone's lock
        # screen is seen by others), its text, or else the sender's profile text.
        if post is not None:
            body = post.spoiler_text or strip_html(post.content_html)
        else:
            body = strip_html(sender.summary_html) or f"@{sender.handle}"
        if len(body) > BODY_CHARACTERS:
            body = body[: BODY_CHARACTERS - 1].rstrip() + "…"
        icon = picture_url(sender, "avatar", base_url) or f"{base_url}/static/avatar.png"
        return PushText(title % {"name": name} if "%(name)s" in title else title, body, icon)

    return text


def _catalogue(interface: Interface, language: str) -> NullTranslations:
    for tag in (language, language.split("-")[0]):
        if tag in interface.catalogues:
            return interface.catalogues[tag]
    return interface.catalogues.get("en") or NullTranslations()
