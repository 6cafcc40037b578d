"""The FEP-1b12 group relay. A post addressed to a local group (in `to`, `cc` or
`audience`, or replying to a post in it) from an account the group accepts is kept and
announced by the group to its members' servers, if its own addressing is as wide as the
group's. A remote group's `Announce` of a post written to it (a Lemmy community someone
here follows) files that post in the group; its `Announce` of an Update refreshes it from
its origin, of a Delete removes it. An author's own Update or Delete of a post in a local
group is relayed too; an Update only while the group accepts the author, and otherwise
not applied here either (`refuses_edit`). When a remote
group accepts a member here, its earlier threads are backfilled from its outbox; when an
organisation accepts a follow, the groups its server lists join this node's directory."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType, InvalidDocument, as_list, id_of, parse_actor
from activitypub.hostnames import host_of, same_host
from content import accounts, group_threads, groups, posts, relationships
from content.accounts import Account
from content.audience import OPEN_TO_ALL, Visibility
from content.group_threads import GroupPost
from content.groups import GroupVisibility, Space
from content.local_accounts import local_by_uris
from content.posts import Post
from content.relationships import Follow, FollowState
from content.sanitize import strip_html
from federation import from_wire, group_outbox
from federation.handlers.incoming import Incoming
from federation.keys import signer_of
from federation.resolve import ResolveError, actor_by_uri, fetch_object

# A removed thread takes at most this many of its posts with it, to bound one activity's
# work; any left over stay filed until the group removes them one by one.
MAX_REMOVED = 500
# A member who joins a remote group gets at most this many of its latest posts at once,
# read for at most this long, so the Accept that started it applies well inside the
# worker's time bound whatever the servers involved do.
BACKFILL = 40
BACKFILL_SECONDS = 20.0
# At most this many groups are read from another organisation's directory.
DIRECTORY = 100


class Verdict(StrEnum):
    """What a local group made of a note: not for a group, taken, or refused (then it is
    not kept as an ordinary post either)."""

    NONE = "none"
    TAKEN = "taken"
    REFUSED = "refused"


async def on_create(incoming: Incoming) -> Verdict:
    """A remote member writes in a local group: kept and announced, unless refused (banned,
    not a member of a members-only group, or the group is local-only). A note narrower than
    the group is not the group's (a public group takes only public or unlisted notes, a
    members-only one only notes addressed to the group or its followers): it is neither filed
    nor announced, and kept only where an ordinary note would be (a direct message to a
    member here still reaches them)."""
    note = incoming.object
    if isinstance(note, str):
        try:
            note = await fetch_object(incoming.fed, incoming.session, note)
        except ResolveError:
            return Verdict.NONE
    if not isinstance(note, dict) or not from_wire.note_owned_by(note, incoming.actor):
        return Verdict.NONE
    found = await _local_group_of(incoming, note)
    if found is None:
        return Verdict.NONE
    space, thread = found
    session, author = incoming.session, incoming.actor
    if await _refuses(session, space, author):
        return Verdict.REFUSED
    if _visibility(space, note, author) is None:
        return Verdict.NONE  # not the group's; kept only where an ordinary note would be
    if await _file(incoming, note, author, space, thread):
        await group_outbox.relay(incoming.fed, session, space, incoming.activity)
    return Verdict.TAKEN


async def _refuses(session: AsyncSession, space: Space, author: Account) -> bool:
    """Whether a local group refuses the author's posts and edits (banned, gone from a
    members-only group, or the group is local-only)."""
    if await groups.refuses(session, space, author) is not None:
        return True
    return space.visibility == GroupVisibility.MEMBERS and not await groups.is_member(
        session, space.account, author
    )


def _visibility(space: Space, note: dict[str, Any], author: Account) -> Visibility | None:
    """The visibility a note keeps in the group, None if the group must not take it: a
    public group never widens a followers-only or direct note; a members-only group takes
    what is addressed to it and shows it to its members only."""
    own = from_wire.visibility_of(note, author)
    if space.visibility == GroupVisibility.MEMBERS:
        return Visibility.MEMBERS if _addressed_to(note, space.account) else None
    if not space.account.is_local:
        return own if own in OPEN_TO_ALL else Visibility.MEMBERS
    return own if own in OPEN_TO_ALL else None


def _addressed_to(note: dict[str, Any], group: Account) -> bool:
    """Whether the note names the group or its followers in `to`, `cc` or `audience`."""
    names = {group.uri, group.followers_uri} - {None}
    return any(
        id_of(value) in names
        for field in ("to", "cc", "audience")
        for value in as_list(note.get(field))
    )


def _names(note: dict[str, Any], group: Account) -> bool:
    """Whether the note is written to the group: addressed to it or mentioning it."""
    return _addressed_to(note, group) or any(
        isinstance(tag, dict) and tag.get("type") == "Mention" and tag.get("href") == group.uri
        for tag in as_list(note.get("tag"))
    )


async def refuses_edit(incoming: Incoming) -> bool:
    """Whether an Update is of a post written in a local group that refuses its author now
    (banned, or gone from a members-only group): neither kept here nor relayed, for the
    post stays in the group as it was when she could still write there."""
    space = await _group_of_authors_own(incoming)
    return space is not None and await _refuses(incoming.session, space, incoming.actor)


async def on_update(incoming: Incoming) -> None:
    """A remote author edits a post written in a local group (applied by `notes.on_update`,
    unless the group `refuses_edit`): the group relays the Update to its members' servers."""
    space = await _group_of_authors_own(incoming)
    if space is not None and not await _refuses(incoming.session, space, incoming.actor):
        await group_outbox.relay(incoming.fed, incoming.session, space, incoming.activity)


async def on_delete(incoming: Incoming) -> None:
    """A remote author deletes a post written in a local group: the group relays the Delete
    to its members' servers (the post itself is deleted by `notes.on_delete`), banned or
    not."""
    if (space := await _group_of_authors_own(incoming)) is not None:
        await group_outbox.relay(incoming.fed, incoming.session, space, incoming.activity)


async def _group_of_authors_own(incoming: Incoming) -> Space | None:
    """The local group of the post the activity's object names, if the actor wrote that
    post there; None otherwise."""
    session = incoming.session
    entry = await group_threads.entry_by_uri(session, incoming.object_id or "")
    post = await session.get(Post, entry.post_id) if entry else None
    if entry is None or post is None or post.account_id != incoming.actor.id:
        return None
    group = await session.get(Account, entry.group_id)
    space = await groups.get(session, group) if group is not None else None
    return space


async def on_announce(incoming: Incoming) -> None:
    """A remote group someone here follows relays an activity: a post written in it (fetched
    from its origin unless the group's own server wrote it), its edit or removal, or the ban
    of a member here."""
    group = incoming.actor
    inner = incoming.object
    if group.actor_type != ActorType.GROUP or not isinstance(inner, dict):
        return
    if not await _followed_here(incoming, group):
        return
    kind = inner.get("type")
    if kind == "Create":
        await _announced_post(incoming, Space(group, None), inner.get("object"))
    elif kind == "Update":
        await _announced_edit(incoming, Space(group, None), inner.get("object"))
    elif kind == "Delete":
        await _announced_removal(incoming, group, id_of(inner.get("object")))
    elif kind == "Block" and id_of(inner.get("target")) == group.uri:
        banned = await _local_account(incoming, id_of(inner.get("object")))
        if banned is not None:
            await relationships.remove_follow(incoming.session, banned, group)


async def _announced_post(incoming: Incoming, space: Space, document: Any) -> None:
    fed, session = incoming.fed, incoming.session
    uri = id_of(document)
    known = await group_threads.entry_by_uri(session, uri) if uri else None
    if not uri or known is not None:  # no post, or one already filed (a member's own)
        return
    document, trusted = await _vouched(incoming, space, uri, document)
    if document is None:
        return
    try:
        author = await actor_by_uri(fed, session, from_wire.author_of(document) or "")
    except ResolveError:
        return
    in_group, thread = await _thread(incoming, document, space.account)
    # A post is filed only if it names the group itself or replies in one of its threads:
    # a group cannot claim (and later remove) any post it likes.
    if in_group and (thread is not None or _names(document, space.account)):
        await _file(incoming, document, author, space, thread, trusted=trusted)


async def on_accepted(incoming: Incoming) -> None:
    """A remote group accepted a member here: its latest posts (at most BACKFILL, for at most
    BACKFILL_SECONDS) are read from its outbox, fetched signed by the member (a members-only
    group shows them to its members only), and filed oldest first as if the group had
    announced them. A remote organisation accepted a follow: its groups are read."""
    group, session = incoming.actor, incoming.session
    if group.actor_type == ActorType.ORGANIZATION:
        await _read_directory(incoming)
    if group.actor_type != ActorType.GROUP or not group.outbox_uri:
        return
    deadline = time.monotonic() + BACKFILL_SECONDS
    follow = await relationships.get_follow_by_uri(session, incoming.object_id or "")
    member = await session.get(Account, follow.follower_id) if follow else None
    if follow is None or follow.followed_id != group.id or member is None or not member.is_local:
        return
    try:
        outbox = await fetch_object(incoming.fed, session, group.outbox_uri, signer_of(member))
        page = outbox.get("first", outbox)
        if isinstance(page, str):
            page = await fetch_object(incoming.fed, session, page, signer_of(member))
    except ResolveError:
        return
    items = as_list(page.get("orderedItems")) if isinstance(page, dict) else []
    for item in reversed(items[:BACKFILL]):
        if time.monotonic() > deadline:
            return  # time is up: the newest posts are left out
        if isinstance(item, dict) and item.get("type") == "Announce":
            if id_of(item.get("actor")) == group.uri:
                await on_announce(Incoming(incoming.fed, session, group, item))


async def _read_directory(incoming: Incoming) -> None:
    """An organisation accepted a follow from here: the discussion groups its server lists
    at `/discussions` (a Harbour node's directory; other servers have none) are kept with
    their language and topics, for this node's directory of groups. At most DIRECTORY
    groups, only actors of the organisation's own server."""
    organisation, session = incoming.actor, incoming.session
    scheme, _, rest = organisation.uri.partition("://")
    host = host_of(organisation.uri)
    try:
        listed = await fetch_object(
            incoming.fed, session, f"{scheme}://{rest.split('/')[0]}/discussions"
        )
    except ResolveError:
        return
    for document in as_list(listed.get("orderedItems"))[:DIRECTORY]:
        if not isinstance(document, dict) or document.get("type") != "Group":
            continue
        try:
            actor = parse_actor(document)
        except InvalidDocument:
            continue
        if not same_host(actor.id, organisation.uri) or incoming.fed.is_local(actor.id):
            continue
        group = await accounts.upsert_remote(session, actor, host)
        languages = [
            entry.get("identifier", "")
            for entry in as_list(document.get("language"))
            if isinstance(entry, dict)
        ]
        topics = " ".join(
            str(tag.get("name", ""))
            for tag in as_list(document.get("tag"))
            if isinstance(tag, dict) and tag.get("type") == "Hashtag"
        )
        language = languages[0] if languages and isinstance(languages[0], str) else ""
        await groups.remember(session, group, language=language, topics=topics)


async def _announced_edit(incoming: Incoming, space: Space, document: Any) -> None:
    """An edit of a post in the group: the new version as the group vouches for it, else
    fetched from its origin. On the group's word alone (`_vouched`, untrusted) no post of an
    author whose server proves what it publishes is changed: that server would have proved
    a real edit, so an unproven one is the group's own words put in the author's mouth."""
    fed, session, group = incoming.fed, incoming.session, space.account
    entry = await group_threads.entry_by_uri(session, id_of(document) or "")
    post = await session.get(Post, entry.post_id) if entry else None
    if entry is None or post is None or entry.group_id != group.id or fed.is_local(post.uri):
        return
    author = await session.get(Account, post.account_id)
    found, trusted = await _vouched(incoming, space, post.uri, document)
    if found is None or author is None or not from_wire.note_owned_by(found, author):
        return
    if not trusted and author.assertion_key:
        incoming.drop("an edit without its author's proof, on the group's word alone")
        return
    await from_wire.update_note(fed, session, post, author, found)


async def _vouched(
    incoming: Incoming, space: Space, uri: str, document: Any
) -> tuple[dict[str, Any] | None, bool]:
    """A post's document as a remote group relays it, and whether it is trusted beyond the
    group's word. The group's signature vouches for what its own server wrote (trusted);
    anything else stands on its author's integrity proof or is fetched from where it lives
    (trusted); failing both, a members-only group's copy of a post of a server this node
    federates with is taken on the group's word alone (its origin shows it to nobody: the
    group decides who reads it), untrusted: it never changes a post kept here already."""
    embedded = isinstance(document, dict) and id_of(document) == uri
    if embedded and same_host(uri, space.account.uri):
        return document, True
    if (proven := await incoming.proven_copy(uri, document)) is not None:
        return proven, True
    if space.visibility == GroupVisibility.MEMBERS:
        taken = embedded and await incoming.federates(uri)
        return (document, False) if taken else (None, False)
    found = await incoming.proven_or_fetched(uri, None)
    return found, found is not None


async def _announced_removal(incoming: Incoming, group: Account, uri: str | None) -> None:
    """The group removed a post (with its thread, if it opened one): copies of remote posts
    are deleted; a member's own post here only leaves the group."""
    session = incoming.session
    entry = await group_threads.entry_by_uri(session, uri or "")
    if entry is None or entry.group_id != group.id:
        return
    removed = [entry.post_id]
    if entry.thread_id == entry.post_id:
        thread = await group_threads.thread_posts(session, entry, limit=MAX_REMOVED)
        removed = [post.id for post, _ in thread]
    for post_id in removed:
        post = await session.get(Post, post_id)
        if post is None:
            continue
        if incoming.fed.is_local(post.uri):
            await group_threads.unfile(session, post)
        else:
            await posts.delete_post(session, post)


async def _file(
    incoming: Incoming,
    note: dict[str, Any],
    author: Account,
    space: Space,
    thread: GroupPost | None,
    *,
    trusted: bool = True,
) -> bool:
    """Keep the note as a post in the group; False if it is not kept, or was filed already.
    A post kept here outside any group (a reply delivered to its parent's author here)
    moves into the group only if its own document names the group, and that document is
    its author's (`trusted`): on a group's word alone, no post kept here is changed."""
    visibility = _visibility(space, note, author)
    if visibility is None:
        return False
    existing = await posts.get_by_uri(incoming.session, note["id"])
    if existing is not None and not (trusted and _names(note, space.account)):
        return False
    post = await from_wire.store_note(
        incoming.fed, incoming.session, note, author, force=True, titled=thread is not None
    )
    if post is None or await group_threads.entry_of(incoming.session, post) is not None:
        return False
    post.visibility = visibility
    title = note.get("name") if thread is None else ""
    group_threads.add_post(
        incoming.session,
        post,
        space.account,
        thread=thread,
        title=strip_html(title)[: group_threads.MAX_TITLE] if isinstance(title, str) else "",
    )
    await incoming.session.flush()
    return True


async def _local_group_of(
    incoming: Incoming, note: dict[str, Any]
) -> tuple[Space, GroupPost | None] | None:
    """The local group a note is written in, with the thread it replies in (None: it opens
    one); None if it is in no local group, or replies to a post we do not have."""
    addressed = {
        id_of(value) for field in ("to", "cc", "audience") for value in as_list(note.get(field))
    }
    addressed |= {  # Mastodon names a group it writes to as a mention
        tag.get("href")
        for tag in as_list(note.get("tag"))
        if isinstance(tag, dict) and tag.get("type") == "Mention"
    }
    local = [uri for uri in addressed if isinstance(uri, str) and incoming.fed.is_local(uri)]
    group = None
    if local:  # most notes address no one here: no statement for them
        found = await local_by_uris(incoming.session, local)
        group = next((a for a in found.values() if a.actor_type == ActorType.GROUP), None)
    parent_uri = id_of(note.get("inReplyTo"))
    parent = await group_threads.entry_by_uri(incoming.session, parent_uri) if parent_uri else None
    if group is None and parent is not None:
        group = await incoming.session.get(Account, parent.group_id)
    space = await groups.get(incoming.session, group) if group is not None else None
    if space is None or not space.account.is_local:
        return None
    in_group, thread = await _thread(incoming, note, space.account)
    return (space, thread) if in_group else None


async def _thread(
    incoming: Incoming, note: dict[str, Any], group: Account
) -> tuple[bool, GroupPost | None]:
    """Whether the note belongs in the group, and the thread it replies in (None if it opens
    one); a reply to a post that is not in this group here does not belong."""
    parent_uri = id_of(note.get("inReplyTo"))
    if not parent_uri:
        return True, None
    parent = await group_threads.entry_by_uri(incoming.session, parent_uri)
    if parent is None or parent.group_id != group.id:
        return False, None
    thread = await incoming.session.get(GroupPost, parent.thread_id)
    return thread is not None, thread


async def _followed_here(incoming: Incoming, group: Account) -> bool:
    found = await incoming.session.scalar(
        select(Follow.id)
        .join(Account, Account.id == Follow.follower_id)
        .where(
            Follow.followed_id == group.id,
            Follow.state == FollowState.ACCEPTED,
            Account.domain.is_(None),
        )
        .limit(1)
    )
    return found is not None


async def _local_account(incoming: Incoming, uri: str | None) -> Account | None:
    if not uri or not incoming.fed.is_local(uri):
        return None
    account = await incoming.session.scalar(select(Account).where(Account.uri == uri))
    return account if account is not None and account.is_local else None
