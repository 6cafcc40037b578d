"""Where a page takes its pictures from: always this node. Uploads and local avatars are
served here; remote attachments, avatars and headers through the media proxy."""

from __future__ import annotations

from activitypub import web_url
from content.accounts import Account
from content.media import MediaAttachment, proxy_path

DEFAULT_AVATAR = "/static/avatar.png"


def media_src(item: MediaAttachment) -> str | None:
    """The attachment's file here; None for a remote file this node holds no row for (in an
    old version of an edited post), which the page then only links to."""
    if item.file_name:
        return item.url
    if item.remote_url:
        return proxy_path("media", item.id, item.remote_url)
    return None


def preview_src(item: MediaAttachment) -> str | None:
    """The attachment's small version to show in a page: an upload's preview if it has one."""
    if item.file_name and item.preview_file_name:
        return f"/media/{item.preview_file_name}"
    return media_src(item)


def avatar_src(account: Account) -> str:
    """The account's avatar here, or the node's default one."""
    url = web_url(account.avatar_url)
    if url is None:
        return DEFAULT_AVATAR
    return url if account.is_local else proxy_path("avatar", account.id, url)


FILTERS = {"media_src": media_src, "preview_src": preview_src, "avatar_src": avatar_src}
