"""Threads made whole: the posts of a thread this node has only part of, fetched from where
they live (FEP-7888).

A reply whose parent is unknown here, or a thread a member opens in an app, asks for it
(`Federation.want_thread`); the worker runs it beside its passes (`fill_in`), never inside
an inbox item, once per thread in ten minutes. Its ancestors are fetched up `inReplyTo`,
then the thread's `context` collection (FEP-7888) is read, or, from a server that serves
none, the `replies` collections from the root down. Every fetch goes through the SSRF-safe
transport and the federation policy (`resolve.fetch_object`: a blocked or unallowed host is
never asked), and the whole is bounded: at most MAX_POSTS posts stored, MAX_FETCHES fetches,
MAX_DEPTH steps up a chain, MAX_PAGES pages of a collection, and SECONDS in all. Each post
is committed on its own, so no database lock is held across the network.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import as_list, id_of
from content import accounts, posts
from federation import from_wire
from federation.context import Federation
from federation.resolve import ResolveError, actor_by_uri, fetch_object

MAX_POSTS = 60
MAX_FETCHES = 60  # documents and unknown authors together
MAX_DEPTH = 20
MAX_PAGES = 3
SECONDS = 25.0


@dataclass
class Backfill:
    """One thread's filling in: what is left of its budget, what was seen."""

    fed: Federation
    session: AsyncSession
    fetches: int = 0
    stored: int = 0
    seen: set[str] = field(default_factory=set)

    async def fetch(self, uri: str) -> dict[str, Any] | None:
        """A document by id, while the fetch budget lasts; None if it cannot be had."""
        if self.fetches >= MAX_FETCHES:
            return None
        self.fetches += 1
        try:
            return await fetch_object(self.fed, self.session, uri)
        except ResolveError:
            return None

    async def keep(self, note: dict[str, Any]) -> bool:
        """Store a fetched note of the thread (by its author, as its origin serves it)."""
        if self.stored >= MAX_POSTS or from_wire.refusal(note) is not None:
            return False
        author_uri = from_wire.author_of(note) or ""
        if await accounts.get_by_uri(self.session, author_uri) is None:
            if self.fetches >= MAX_FETCHES:
                return False
            self.fetches += 1  # an author not known here costs a fetch too
        try:
            author = await actor_by_uri(self.fed, self.session, author_uri)
        except ResolveError:
            return False
        try:
            post = await from_wire.store_note(self.fed, self.session, note, author, force=True)
            await self.session.commit()
        except IntegrityError:  # the inbox or another filling-in stored it meanwhile
            await self.session.rollback()
            return await posts.get_by_uri(self.session, str(note.get("id"))) is not None
        self.stored += post is not None
        return post is not None

    async def note(self, item: Any) -> dict[str, Any] | None:
        """A collection item as a note: fetched from its origin by id (an embedded copy
        counts only as its id: only the origin vouches for what it says)."""
        uri = id_of(item)
        if not uri or uri in self.seen:
            return None
        self.seen.add(uri)
        if self.fed.is_local(uri) or await posts.get_by_uri(self.session, uri) is not None:
            return None
        return await self.fetch(uri)

    async def items(self, collection_uri: str) -> list[Any]:
        """The items of a collection, following `first` and `next` for MAX_PAGES pages."""
        found: list[Any] = []
        page: Any = await self.fetch(collection_uri)
        for _ in range(MAX_PAGES):
            if not isinstance(page, dict):
                break
            found += as_list(page.get("orderedItems")) + as_list(page.get("items"))
            following = page.get("first") if "first" in page else page.get("next")
            if isinstance(following, dict):
                page = following
            elif isinstance(following, str) and following != id_of(page):
                page = await self.fetch(following)
            else:
                break
        return found[:MAX_FETCHES]


async def fill_in(fed: Federation, uri: str) -> int:
    """Fill in the thread of a remote post kept here (a member opened it, or it replied to
    a post not kept here), in a session of its own: from the post as its origin serves it
    now, or, if it serves none, as kept here (then its parent chain leads the way)."""
    async with fed.sessions() as session:
        try:
            note = await fetch_object(fed, session, uri)
        except ResolveError:
            post = await posts.get_by_uri(session, uri)
            if post is None:
                return 0
            note = {"id": post.uri, "inReplyTo": post.in_reply_to_uri}
        return await complete(fed, session, note)


async def complete(fed: Federation, session: AsyncSession, note: dict[str, Any]) -> int:
    """Fetch and store what this node lacks of the thread of `note` (just stored); returns
    how many posts were added. Stops, keeping what it has, when a bound is reached."""
    backfill = Backfill(fed, session, seen={str(note.get("id"))})
    await session.commit()  # what was stored so far; no lock is held across the fetches
    try:
        async with asyncio.timeout(SECONDS):
            root = await _ancestors(backfill, note)
            await _thread(backfill, root)
    except TimeoutError:
        pass
    return backfill.stored


async def _ancestors(backfill: Backfill, note: dict[str, Any]) -> dict[str, Any]:
    """Store the missing posts up the chain of `note`; the highest one reached."""
    top = note
    for _ in range(MAX_DEPTH):
        parent = await backfill.note(top.get("inReplyTo"))
        if parent is None or not await backfill.keep(parent):
            break
        top = parent
    return top


async def _thread(backfill: Backfill, root: dict[str, Any]) -> None:
    """Store the rest of the thread: its `context` collection where its server serves one,
    else the `replies` collections breadth first from `root`."""
    context = id_of(root.get("context"))
    if context and context != root.get("id"):
        items = await backfill.items(context)
        if items:
            for item in items:
                if (found := await backfill.note(item)) is not None:
                    await backfill.keep(found)
            return
    level = [root]
    for _ in range(MAX_DEPTH):
        following = []
        for note in level:
            replies = id_of(note.get("replies"))
            for item in await backfill.items(replies) if replies else []:
                if (found := await backfill.note(item)) is not None and await backfill.keep(found):
                    following.append(found)
        if not following:
            return
        level = following
