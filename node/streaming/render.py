"""What one member's open streams are told of one event, decided and written by the same code
the client API's timelines and notifications use: a post reaches her `user` stream only if
her home timeline would show it, her `public` stream only if the public timeline she reads
would, and so on; a status is the entity GET /api/v1/statuses/:id gives her."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import conversations, relationships, timeline_lists, timelines
from content.accounts import Account
from content.interactions import Interaction
from content.notifications import Notification
from content.paging import Window
from content.posts import Post, PostTag
from content.stream_events import StreamEvent
from moderation.policy import Hidden, hidden_from, limited, notification_view
from node.api.mastodon import entities
from node.api.mastodon.conversations import conversation_entities
from node.api.mastodon.notifications import notification_entities

PUBLIC = "public"
PUBLIC_LOCAL = "public:local"
HASHTAG = "hashtag"
HASHTAG_LOCAL = "hashtag:local"
USER = "user"
NOTIFICATIONS = "user:notification"
LIST = "list"
DIRECT = "direct"
NAMES = (USER, NOTIFICATIONS, PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL, LIST, DIRECT)


@dataclass(frozen=True)
class Stream:
    """A stream as a client names it: `user`, or `hashtag` with its tag, `list` with its id."""

    name: str
    param: str = ""

    def label(self) -> list[str]:
        """The `stream` of an event as Mastodon writes it: ["hashtag", "tag"], ["user"]."""
        return [self.name, self.param] if self.param else [self.name]


@dataclass(frozen=True)
class Message:
    """One event for one stream: Mastodon's event name and its payload (a JSON text)."""

    stream: Stream
    event: str
    payload: str


async def messages(
    session: AsyncSession, event: StreamEvent, viewer: Account, streams: set[Stream], base: str
) -> list[Message]:
    """What `viewer`'s `streams` are told of `event`."""
    if event.kind in ("post", "edit"):
        return await _post(session, event, viewer, streams, base)
    if event.kind == "boost":
        return await _boost(session, event.id, viewer, streams, base)
    if event.kind == "notification":
        return await _notification(session, event.id, viewer, streams, base)
    if event.kind == "delete":
        return await _deletion(session, event, viewer, streams)
    return []


async def _post(
    session: AsyncSession, event: StreamEvent, viewer: Account, streams: set[Stream], base: str
) -> list[Message]:
    post = await session.get(Post, event.id)
    if post is None:
        return []
    hidden = await hidden_from(session, viewer)
    only = Window(limit=1, max_id=post.id + 1, since_id=post.id - 1)  # this post, if shown
    accounts, domains = hidden.accounts, hidden.domains
    left_out = await limited(session)
    public_domains = domains | set(left_out.domains)
    found: list[Message] = []
    status: str | None = None
    name = "update" if event.kind == "post" else "status.update"
    # A hashtag stream is asked about only if the post carries its tag: a member's many
    # hashtag streams then cost one query an event, not one each.
    tagged = {s.param for s in streams if s.name in (HASHTAG, HASHTAG_LOCAL)}
    if tagged:
        carried = select(PostTag.name).where(PostTag.post_id == post.id)
        tagged &= set(await session.scalars(carried))
    for stream in sorted(streams, key=lambda s: (s.name, s.param)):
        if stream.name in (HASHTAG, HASHTAG_LOCAL) and stream.param not in tagged:
            continue
        if stream.name == USER:
            entries = await timelines.home(
                session, viewer, window=only, exclude_accounts=accounts, exclude_domains=domains
            )
        elif stream.name in (PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL):
            entries = await timelines.public(
                session,
                local_only=stream.name.endswith(":local"),
                viewer_is_local=True,
                window=only,
                hashtag=stream.param or None,
                exclude_accounts=accounts,
                exclude_domains=public_domains,
                exclude_hosts=left_out.held,
            )
        elif stream.name == LIST and stream.param.isdigit():
            owned = await timeline_lists.owned(session, viewer, int(stream.param))
            entries = (
                await timelines.list_timeline(
                    session, owned, window=only, exclude_accounts=accounts, exclude_domains=domains
                )
                if owned
                else []
            )
        elif stream.name == DIRECT and event.kind == "post":
            found += await _conversation(session, post, viewer, stream, hidden, base)
            continue
        else:
            continue
        if entries:
            if status is None:
                author = entries[0].author
                status = json.dumps(await entities.status(session, post, author, viewer, base))
            found.append(Message(stream, name, status))
    return found


async def _boost(
    session: AsyncSession, interaction_id: int, viewer: Account, streams: set[Stream], base: str
) -> list[Message]:
    """A boost, on her `user` stream if her home timeline shows it."""
    wanted = [s for s in streams if s.name == USER]
    if not wanted:
        return []
    hidden = await hidden_from(session, viewer)
    entry = await timelines.boost_on_home(
        session,
        viewer,
        interaction_id,
        exclude_accounts=hidden.accounts,
        exclude_domains=hidden.domains,
    )
    boost = await session.get(Interaction, interaction_id)
    if entry is None or entry.boosted_by is None or boost is None:
        return []
    boosted = await entities.status(session, entry.post, entry.author, viewer, base)
    wrapper = await entities.reblog(session, boost, entry.boosted_by, boosted, base)
    return [Message(stream, "update", json.dumps(wrapper)) for stream in wanted]


async def _conversation(
    session: AsyncSession,
    post: Post,
    viewer: Account,
    stream: Stream,
    hidden: Hidden,
    base: str,
) -> list[Message]:
    only = Window(limit=1, max_id=post.id + 1, since_id=post.id - 1)
    rows = await conversations.page(
        session, viewer, window=only, exclude_accounts=hidden.accounts,
        exclude_domains=hidden.domains,
    )  # fmt: skip
    if not rows:
        return []
    [entity] = await conversation_entities(session, rows, viewer, base)
    return [Message(stream, "conversation", json.dumps(entity))]


async def _notification(
    session: AsyncSession, notification_id: int, viewer: Account, streams: set[Stream], base: str
) -> list[Message]:
    wanted = [s for s in streams if s.name in (USER, NOTIFICATIONS)]
    if not wanted:
        return []
    view = await notification_view(session, viewer)
    row = await session.scalar(
        select(Notification)
        .join(Account, Account.id == Notification.from_account_id)  # `view` reads its domain
        .where(
            Notification.id == notification_id,
            Notification.account_id == viewer.id,
            Account.suspended_at.is_(None),
            *view.shown(),
        )
    )
    if row is None:
        return []
    [entity] = await notification_entities(session, [row], viewer, base)
    payload = json.dumps(entity)
    return [Message(stream, "notification", payload) for stream in wanted]


async def _deletion(
    session: AsyncSession, event: StreamEvent, viewer: Account, streams: set[Stream]
) -> list[Message]:
    """A deleted post's id, to the streams that may have shown it: her own and her followed
    accounts' on `user` and `list`, public ones on the public streams."""
    followed = event.author == viewer.id or event.author in await relationships.followed_ids(
        session, viewer
    )
    told: list[Message] = []
    for stream in streams:
        if (stream.name in (USER, LIST) and followed) or (
            event.public and stream.name in (PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL)
        ):
            told.append(Message(stream, "delete", str(event.id)))
    return told


def as_json(message: Message) -> dict[str, Any]:
    """The WebSocket frame of a message."""
    return {"stream": message.stream.label(), "event": message.event, "payload": message.payload}
