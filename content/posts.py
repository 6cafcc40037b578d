"""Posts: local and remote, their text, audience and threading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    delete,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from activitypub import web_url
from activitypub.hostnames import host_of
from content import account_stats, audience, hashtags, stream_events
from content.accounts import Account
from content.audience import OPEN_TO_ALL, Visibility
from content.interface_text import N_, Message
from content.media import MediaAttachment, attach, replace_attachments
from content.media import of_post as media_of_post
from content.notifications import notify_mentions
from content.orm import Base, new_id, partial_index, utcnow
from content.relationships import followed_ids
from content.sanitize import render_plain_text, strip_html

MAX_TEXT_LENGTH = 5000
MAX_THREAD_DEPTH = 64  # replies above this many steps from a thread's root are cut off


class PostError(ValueError):
    """A post cannot be made as asked; the message is fit to show the user."""


class Post(Base):
    """A status. `content_html` is always sanitised before it is stored."""

    __tablename__ = "posts"
    # An author's posts newest first, counted, and their latest time, from the index alone.
    __table_args__ = (
        Index("ix_posts_account_id_id_created_at", "account_id", "id", "created_at"),
        # The local timeline newest first, a visibility at a time (`timelines.public`).
        Index("ix_posts_local_visibility_id", "local", "visibility", "id"),
        # An author's pinned posts alone: anyone may ask for any author's, who may have
        # written thousands of posts (`?pinned=true`, the featured collection, pinning).
        partial_index(
            "ix_posts_account_id_pinned", "account_id", "id", where=text("pinned_at IS NOT NULL")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    content_html: Mapped[str] = mapped_column(Text)
    # A local post's text as its author wrote it, for her to edit (Mastodon's `source`).
    source_text: Mapped[str | None] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(String(1024), default="")
    # The author marked its media sensitive (Mastodon's `sensitive`); a warning implies it.
    sensitive: Mapped[bool] = mapped_column(default=False, server_default=false())
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC)
    language: Mapped[str | None] = mapped_column(String(35))
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    edited_at: Mapped[datetime | None]
    pinned_at: Mapped[datetime | None]
    # Written here, by a member of this node (Mastodon's `statuses.local`).
    local: Mapped[bool] = mapped_column(default=False, server_default=false())


class Mention(Base):
    """An account a post addresses by name; for direct posts, the only readers."""

    __tablename__ = "mentions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True, index=True)
    # Declared so a flush always inserts the post before its mentions.
    post: Mapped[Post] = relationship(viewonly=False, lazy="raise")


class PostTag(Base):
    """A hashtag a post carries, in its normal form (`content.hashtags.normalise`)."""

    __tablename__ = "post_tags"
    __table_args__ = (Index("ix_post_tags_name_post_id", "name", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    # Code point order on PostgreSQL too, whatever the database's collation: a search reads
    # the names with a prefix as one range (`tags_starting_with`).
    name: Mapped[str] = mapped_column(
        String(hashtags.MAX_LENGTH).with_variant(
            String(hashtags.MAX_LENGTH, collation="C"), "postgresql"
        ),
        primary_key=True,
    )
    post: Mapped[Post] = relationship(viewonly=False, lazy="raise")


def create_local(
    session: AsyncSession,
    author: Account,
    text: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str | None = None,
    in_reply_to: Post | None = None,
    mentioned: Sequence[Account] = (),
    attachments: Sequence[MediaAttachment] = (),
) -> Post:
    """A new post by a local author, from plain text; with attachments the text may be empty.
    A reply is never wider than its parent (`audience.for_reply`). The attachments must be
    the author's own and in no post yet (`media.for_new_post`)."""
    if not author.is_local:
        raise PostError(N_("only local accounts post here"))
    if any(a.account_id != author.id or a.post_id is not None for a in attachments):
        raise PostError(N_("only your own attachments that are in no post yet can be attached"))
    _check_text(text, media_only=bool(attachments))
    if in_reply_to is not None:
        visibility = audience.for_reply(visibility, Visibility(in_reply_to.visibility))
    post_id = new_id()
    post = Post(
        id=post_id,
        account_id=author.id,
        uri=f"{author.uri}/statuses/{post_id}",
        url=f"{author.url}/{post_id}",
        content_html=render_plain_text(
            text, tag_url=tag_url(author), mentions=mention_links(author, mentioned)
        ),
        source_text=text,
        spoiler_text=spoiler_text.strip(),
        sensitive=sensitive or bool(spoiler_text.strip()),
        visibility=visibility,
        language=language,
        in_reply_to_uri=in_reply_to.uri if in_reply_to else None,
        created_at=utcnow(),
        local=True,
    )
    session.add(post)
    session.add_all(Mention(post=post, account_id=a.id) for a in _unique(mentioned))
    session.add_all(PostTag(post=post, name=name) for name in hashtags.hashtags_in(text))
    notify_mentions(session, post, author.id, mentioned)
    attach(post, attachments)
    return post


async def edit_local(
    session: AsyncSession,
    post: Post,
    author: Account,
    text: str,
    *,
    spoiler_text: str | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
    attachments: Sequence[MediaAttachment] | None = None,
) -> None:
    """Change a local post's text and hashtags and, when given, its warning, sensitivity,
    language and attachments (the author's own, in this post or in none:
    `media.for_edit`). The mentions stay the original's, and so does the audience; the
    caller marks the post edited (`post_edits.record`)."""
    kept = attachments if attachments is not None else await media_of_post(session, post.id)
    _check_text(text, media_only=bool(kept))
    await set_tags(session, post, hashtags.hashtags_in(text))
    mentioned = await session.scalars(
        select(Account)
        .join(Mention, Mention.account_id == Account.id)
        .where(Mention.post_id == post.id)
    )
    post.content_html = render_plain_text(
        text, tag_url=tag_url(author), mentions=mention_links(author, list(mentioned))
    )
    post.source_text = text
    if spoiler_text is not None:
        post.spoiler_text = spoiler_text.strip()
    if sensitive is not None:
        post.sensitive = sensitive
    post.sensitive = post.sensitive or bool(post.spoiler_text)
    if language is not None:
        post.language = language
    if attachments is not None:
        await replace_attachments(session, post, attachments)


def source_of(post: Post) -> str:
    """The text to edit: as its author wrote it, or for a post from before that was kept,
    its HTML as plain text."""
    if post.source_text is not None:
        return post.source_text
    return strip_html(post.content_html.replace("</p><p>", "\n\n").replace("<br>", "\n"))


def store_remote(
    session: AsyncSession,
    author: Account,
    *,
    uri: str,
    url: str | None,
    content_html: str,
    visibility: Visibility,
    created_at: datetime,
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str | None = None,
    in_reply_to_uri: str | None = None,
    mentioned: Sequence[Account] = (),
    tags: Sequence[str] = (),
) -> Post:
    """Keep a copy of a remote post. `content_html` must already be sanitised, `tags`
    normalised."""
    post = Post(
        id=new_id(),
        account_id=author.id,
        uri=uri,
        url=url or uri,
        content_html=content_html,
        spoiler_text=spoiler_text[:1024],
        sensitive=sensitive or bool(spoiler_text),
        visibility=visibility,
        language=language,
        in_reply_to_uri=in_reply_to_uri,
        created_at=min(created_at, utcnow()),
    )
    session.add(post)
    session.add_all(Mention(post=post, account_id=a.id) for a in _unique(mentioned))
    session.add_all(PostTag(post=post, name=name) for name in dict.fromkeys(tags))
    notify_mentions(session, post, author.id, mentioned)
    return post


def mention_links(author: Account, mentioned: Sequence[Account]) -> dict[str, str]:
    """How a local author's text may name each mentioned account (`name@server` in lower
    case, and `name` alone for an account here), to the link shown for it."""
    links: dict[str, str] = {}
    for account in mentioned:
        href = web_url(account.url) or account.uri
        name = account.username.lower()
        links[f"{name}@{account.domain or host_of(author.uri)}".lower()] = href
        if account.domain is None:
            links[name] = href
    return links


async def set_tags(session: AsyncSession, post: Post, names: Sequence[str]) -> None:
    """Replace a post's hashtags (after an edit)."""
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    session.add_all(PostTag(post_id=post.id, name=name) for name in dict.fromkeys(names))


async def tag_names(session: AsyncSession, post: Post) -> list[str]:
    """A post's hashtags, in their normal form."""
    query = select(PostTag.name).where(PostTag.post_id == post.id).order_by(PostTag.name)
    return list(await session.scalars(query))


ABSENT = "posts absent by uri"  # session.info: ids a batch of inbox items found no post for


async def prefetch_absent(session: AsyncSession, uris: set[str]) -> None:
    """Note in one statement which of these post ids no post has: `get_by_uri` then answers
    them in this session (the worker's batch of inbox items) without a statement of its own,
    until the session itself adds a post of that id (`_added`). A post another
    transaction stores meanwhile meets the unique id when this one stores it again (the
    item is applied again alone)."""
    found = (
        set(await session.scalars(select(Post.uri).where(Post.uri.in_(uris)))) if uris else set()
    )
    session.info[ABSENT] = uris - found


@event.listens_for(Session, "transient_to_pending")
def _added(session: Session, instance: object) -> None:
    """A post added to a session that noted its id absent is absent no more: `get_by_uri`
    asks the database (which the session's next statement flushes it to). Noted as it is
    added, not looked for among the session's new rows at each lookup: a batch of 256 notes
    scanned all its pending rows for each note. (The session's identity map holds a stored
    post only while something else refers to it: a note created and deleted in one batch
    of inbox items was kept.)"""
    if isinstance(instance, Post) and (absent := session.info.get(ABSENT)):
        absent.discard(instance.uri)


async def get_by_uri(session: AsyncSession, uri: str) -> Post | None:
    """A post, local or remote, by its id."""
    absent: set[str] | None = session.info.get(ABSENT)
    if absent is not None and uri in absent:
        return None
    return await session.scalar(select(Post).where(Post.uri == uri))


async def replies_to(session: AsyncSession, post: Post, *, limit: int) -> Sequence[Post]:
    """Direct replies to a post that are kept here, oldest first."""
    query = select(Post).where(Post.in_reply_to_uri == post.uri).order_by(Post.id).limit(limit)
    return (await session.scalars(query)).all()


async def thread_root(session: AsyncSession, post: Post, *, depth: int = MAX_THREAD_DEPTH) -> Post:
    """The first post of the post's thread that is kept here, following `inReplyTo` up (at
    most `depth` steps: a longer chain is cut, never followed forever)."""
    for _ in range(depth):
        parent = await get_by_uri(session, post.in_reply_to_uri) if post.in_reply_to_uri else None
        if parent is None:
            break
        post = parent
    return post


async def open_thread(session: AsyncSession, root: Post, *, limit: int) -> list[Post]:
    """The root and the replies under it kept here that anyone may read, breadth first; at
    most `limit`. Anyone: public or unlisted, by a live account that does not hide her
    posts from guests (a list of them would find what her pages do not show)."""
    author = await session.get(Account, root.account_id)
    readable = author is not None and _open(root, author)
    below = await replies_below(session, root, limit=limit, open_only=True)
    return ([root] if readable else []) + below[: limit - readable]


async def replies_below(
    session: AsyncSession,
    post: Post,
    *,
    limit: int,
    depth: int = MAX_THREAD_DEPTH,
    open_only: bool = False,
) -> list[Post]:
    """Every reply under `post` kept here, by live accounts, breadth first (each level
    oldest first), at most `limit` and `depth` levels down. Whoever reads them decides which
    each may see; `open_only` keeps those anyone may read (`open_thread`)."""
    found: list[Post] = []
    level = [post]
    live = [Account.suspended_at.is_(None), Account.deleted_at.is_(None)]
    if open_only:
        live += [Post.visibility.in_(OPEN_TO_ALL), Account.hide_from_guests.is_(False)]
    for _ in range(depth):
        level = list(
            await session.scalars(
                select(Post)
                .join(Account, Account.id == Post.account_id)
                .where(Post.in_reply_to_uri.in_([p.uri for p in level]), *live)
                .order_by(Post.id)
                .limit(limit - len(found))
            )
        )
        found += level
        if not level or len(found) >= limit:
            break
    return found


def _open(post: Post, author: Account) -> bool:
    live = author.suspended_at is None and author.deleted_at is None
    return live and not author.hide_from_guests and Visibility(post.visibility) in OPEN_TO_ALL


async def mentioned_ids(session: AsyncSession, post: Post) -> set[int]:
    """The accounts a post mentions."""
    return set(await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id)))


async def delete_post(session: AsyncSession, post: Post) -> None:
    """Remove a post with its mentions and the likes and boosts it received."""
    public = Visibility(post.visibility) in (Visibility.PUBLIC, Visibility.UNLISTED)
    stream_events.deleted(session, post.id, post.account_id, public)
    await session.execute(delete(Post).where(Post.id == post.id))


def _check_text(text: str, *, media_only: bool = False) -> None:
    if not text.strip() and not media_only:
        raise PostError(N_("a post needs some text"))
    if len(text) > MAX_TEXT_LENGTH:
        raise PostError(
            Message(N_("a post has at most %(count)s characters"), count=MAX_TEXT_LENGTH)
        )


def tag_url(author: Account) -> str:
    """Where the author's server lists a hashtag's posts: `https://server/tags/`."""
    scheme, _, rest = author.uri.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/tags/"


def _unique(accounts: Sequence[Account]) -> list[Account]:
    return list({account.id: account for account in accounts}.values())


async def open_posts_page(
    session: AsyncSession, author: Account, *, max_id: int | None, limit: int
) -> Sequence[Post]:
    """The author's public and unlisted posts, newest first, older than `max_id` if given."""
    query = select(Post).where(Post.account_id == author.id, Post.visibility.in_(OPEN_TO_ALL))
    if max_id is not None:
        query = query.where(Post.id < max_id)
    return (await session.scalars(query.order_by(Post.id.desc()).limit(limit))).all()


async def count_open_posts(session: AsyncSession, author: Account) -> int:
    """How many public and unlisted posts the author has (kept by `content.account_stats`)."""
    return (await account_stats.counts(session, author.id)).open_posts


async def pinned_open_posts(session: AsyncSession, author: Account) -> Sequence[Post]:
    """The author's pinned public and unlisted posts, most recently pinned first."""
    query = select(Post).where(
        Post.account_id == author.id,
        Post.pinned_at.is_not(None),
        Post.visibility.in_(OPEN_TO_ALL),
    )
    return (await session.scalars(query.order_by(Post.pinned_at.desc()))).all()


async def get_open_post(session: AsyncSession, author: Account, post_id: int) -> Post | None:
    """One of the author's public or unlisted posts, by id."""
    return await session.scalar(
        select(Post).where(
            Post.id == post_id, Post.account_id == author.id, Post.visibility.in_(OPEN_TO_ALL)
        )
    )


async def count_local_posts(session: AsyncSession) -> int:
    """How many public posts live local accounts have made (for NodeInfo: what is counted
    must be what anyone may see, so no private, direct, local-only or unlisted post)."""
    query = select(func.count()).select_from(Post).join(Account).where(*_public_and_live())
    return int(await session.scalar(query) or 0)


async def count_active_local_authors(session: AsyncSession, since: datetime) -> int:
    """How many live local accounts have posted publicly since `since`."""
    query = (
        select(func.count(func.distinct(Post.account_id)))
        .join(Account)
        .where(*_public_and_live(), Post.created_at >= since)
    )
    return int(await session.scalar(query) or 0)


def _public_and_live() -> tuple[ColumnElement[bool], ...]:
    return (
        Post.visibility == Visibility.PUBLIC,
        Account.domain.is_(None),
        Account.deleted_at.is_(None),
        Account.suspended_at.is_(None),
        Account.awaiting_approval.is_(False),
    )


async def can_see(session: AsyncSession, viewer: Account | None, post: Post) -> bool:
    """Whether `viewer` (None: someone not signed in) may read `post`. A member who hides
    her posts from guests has none read by someone not signed in, on a page or through the
    client API alike."""
    visibility = Visibility(post.visibility)
    if viewer is None:
        author = await session.get(Account, post.account_id)
        return visibility in OPEN_TO_ALL and author is not None and not author.hide_from_guests
    if visibility in OPEN_TO_ALL:
        return True
    if viewer.id == post.account_id or viewer.id in await mentioned_ids(session, post):
        return True
    if visibility == Visibility.LOCAL:
        return viewer.is_local
    if visibility == Visibility.PRIVATE:
        return post.account_id in await followed_ids(session, viewer)
    return False
