"""Discussion groups on the wire (FEP-1b12): the Group actor's extra fields, posts addressed
to a group (`Page` for a thread's opening post, as Lemmy sends, `Note` for replies) and the
group's `Announce` wrapping each activity it relays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from activitypub import AS_CONTEXT, PUBLIC
from content.accounts import Account
from content.audience import Visibility
from content.group_threads import GroupPost
from content.groups import Space
from content.languages import native_name
from content.media import MediaAttachment
from content.orm import new_id
from content.posts import Post
from federation import to_wire

# Lemmy's terms for the group fields it reads.
CONTEXT: list[Any] = [
    *to_wire.CONTEXT,
    {
        "lemmy": "https://join-lemmy.org/ns#",
        "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    },
]


def moderators_uri(group: Account) -> str:
    """The collection of the group's moderators (FEP-1b12 `attributedTo`)."""
    return f"{group.uri}/moderators"


def actor_document(space: Space, base_url: str) -> dict[str, Any]:
    """The Group actor, with the FEP-1b12 fields Lemmy and Mbin read. A members-only group
    approves followers by hand (`manuallyApprovesFollowers`, from the account), which is how
    it says on the wire that its posts are for its members only. Its language is Lemmy's
    `language` list, its topics `Hashtag` tags (as on a Mastodon profile)."""
    group = space.account
    document = to_wire.actor(group).to_document()
    document["@context"] = [*document["@context"], CONTEXT[-1]]
    document["attributedTo"] = moderators_uri(group)
    document["postingRestrictedToMods"] = False
    if space.language:
        name = native_name(space.language)
        document["language"] = [{"identifier": space.language, "name": name}]
    if space.topics:
        document["tag"] = [
            {"type": "Hashtag", "name": f"#{topic}", "href": f"{base_url}/tags/{quote(topic)}"}
            for topic in space.topics
        ]
    return document


def addressing(post: Post, group: Account) -> tuple[list[str], list[str]]:
    """`to` and `cc` of a post in a group: the group and the public, or the group and its
    members (followers collection) only, never `as:Public`."""
    if Visibility(post.visibility) == Visibility.PUBLIC:
        return [group.uri, PUBLIC], []
    return [group.uri], [group.followers_uri] if group.followers_uri else []


def note(
    post: Post,
    author: Account,
    group: Account,
    entry: GroupPost,
    mentioned: Sequence[Account] = (),
    hashtags: Sequence[str] = (),
    media: Sequence[MediaAttachment] = (),
) -> dict[str, Any]:
    """A post in a group: a `Page` named by its title if it opens a thread with a title,
    else a `Note`;
    addressed to the group, with the group as its `audience`."""
    document = to_wire.note(post, author, mentioned, hashtags, media).to_document(
        with_context=False
    )
    to, cc = addressing(post, group)
    document["to"] = to
    document["cc"] = [*cc, *(a.uri for a in mentioned)]
    document["audience"] = group.uri
    if entry.thread_id == post.id and entry.title:
        document["type"] = "Page"
        document["name"] = entry.title
    return document


def create(note_document: dict[str, Any], author: Account) -> dict[str, Any]:
    """The author's `Create` of a post in a group."""
    return {
        "@context": to_wire.CONTEXT,
        "id": f"{note_document['id']}/activity",
        "type": "Create",
        "actor": author.uri,
        "to": note_document["to"],
        "cc": note_document["cc"],
        "audience": note_document["audience"],
        "object": note_document,
    }


def announce(group: Account, activity: dict[str, Any], *, public: bool) -> dict[str, Any]:
    """The group relays an activity to its members: an `Announce` wrapping it (FEP-1b12)."""
    inner = {key: value for key, value in activity.items() if key != "@context"}
    followers = [group.followers_uri] if group.followers_uri else []
    return {
        "@context": to_wire.CONTEXT,
        "id": f"{group.uri}#announces/{new_id()}",
        "type": "Announce",
        "actor": group.uri,
        "to": [PUBLIC] if public else followers,
        "cc": followers if public else [],
        "audience": group.uri,
        "object": inner,
    }


def delete(moderator: Account, group: Account, post: Post, reason: str = "") -> dict[str, Any]:
    """A moderator's removal of a post from the group, the reason as `summary` (announced by
    the group, as Lemmy does)."""
    return {
        **({"summary": reason} if reason else {}),
        "@context": AS_CONTEXT,
        "id": f"{moderator.uri}#deletes/{new_id()}",
        "type": "Delete",
        "actor": moderator.uri,
        "to": [PUBLIC],
        "cc": [group.uri],
        "audience": group.uri,
        "object": {"id": post.uri, "type": "Tombstone"},
    }


def block(group: Account, target: Account, reason: str = "") -> dict[str, Any]:
    """A ban: the group blocks an account, with the group as `target` and the reason as
    `summary` (as Lemmy bans)."""
    return {
        **({"summary": reason} if reason else {}),
        "@context": AS_CONTEXT,
        "id": f"{group.uri}#blocks/{new_id()}",
        "type": "Block",
        "actor": group.uri,
        "to": [target.uri],
        "cc": [group.uri],
        "audience": group.uri,
        "target": group.uri,
        "object": target.uri,
    }
