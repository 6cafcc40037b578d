"""Posts: what a member's text becomes, and which posts anyone may read."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import posts
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.posts import Post, PostError
from tests.rig import world
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
REL = 'rel="nofollow noopener noreferrer"'


async def _stored_html(sessions: async_sessionmaker[AsyncSession], text: str) -> str:
    async with sessions() as session, session.begin():
        created = await world.post(session, await world.local_member(session, "ada"), text)
        post_id = created.id
    async with sessions() as session:
        stored = await session.get(Post, post_id)
        assert stored is not None
        return stored.content_html


async def test_html_in_a_post_is_shown_as_text(sessions: async_sessionmaker[AsyncSession]) -> None:
    html = await _stored_html(sessions, '<script>alert("hi")</script> <b onclick="x()">bold</b>')

    assert "<script" not in html
    assert "<b" not in html
    assert html == (
        '<p>&lt;script&gt;alert("hi")&lt;/script&gt; &lt;b onclick="x()"&gt;bold&lt;/b&gt;</p>'
    )


async def test_links_in_a_post_are_made_safe_links(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    html = await _stored_html(sessions, "see https://example.org/help?a=1&b=2 today")

    assert html == (
        f'<p>see <a href="https://example.org/help?a=1&amp;b=2" {REL}>'
        "https://example.org/help?a=1&amp;b=2</a> today</p>"
    )


async def test_a_link_cannot_break_out_into_markup(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    html = await _stored_html(sessions, 'https://example.org/"onmouseover="alert(1)')

    assert html == (
        f'<p><a href="https://example.org/" {REL}>https://example.org/</a>'
        '"onmouseover="alert(1)</p>'
    )


async def test_blank_lines_make_paragraphs_and_newlines_make_breaks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    html = await _stored_html(sessions, "\r\nfirst line\r\nsecond line\r\n\r\n\r\nnext paragraph\n")

    assert html == "<p>first line<br>second line</p><p>next paragraph</p>"


async def test_a_post_is_stored_under_its_author(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        created = posts.create_local(
            session,
            ada,
            "bonjour",
            visibility=Visibility.UNLISTED,
            spoiler_text="  cw  ",
            language="fr",
        )
        post_id = created.id

    async with sessions() as session:
        stored = await session.get(Post, post_id)
        assert stored is not None
        assert stored.uri == f"{world.BASE_URL}/users/ada/statuses/{post_id}"
        assert stored.url == f"{world.BASE_URL}/@ada/{post_id}"
        assert stored.visibility == "unlisted"
        assert stored.spoiler_text == "cw"
        assert stored.language == "fr"
        assert stored.content_html == "<p>bonjour</p>"
        assert stored.edited_at is None and stored.pinned_at is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a post needs some text"),
        (" \n\t ", "a post needs some text"),
        ("x" * 5001, "a post has at most 5000 characters"),
    ],
)
async def test_a_post_needs_some_text_but_not_too_much(
    sessions: async_sessionmaker[AsyncSession], text: str, message: str
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        with pytest.raises(PostError, match=f"^{message}$"):
            posts.create_local(session, ada, text)
        posts.create_local(session, ada, "x" * 5000)

    async with sessions() as session:
        assert len((await session.scalars(select(Post))).all()) == 1


async def test_only_local_accounts_post_here(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        remote = _remote_account("bea", "social.example")
        session.add(remote)
        with pytest.raises(PostError, match="^only local accounts post here$"):
            posts.create_local(session, remote, "hello")


async def test_only_public_and_unlisted_posts_are_open(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        made = {v: (await world.post(session, ada, str(v), v)).id for v in Visibility}
        bea_post = (await world.post(session, bea, "bea's")).id

    async with sessions() as session:
        ada = await _local(session, "ada")
        page = await posts.open_posts_page(session, ada, max_id=None, limit=10)
        assert {p.visibility for p in page} == {"public", "unlisted"}
        assert await posts.count_open_posts(session, ada) == 2
        for visibility, post_id in made.items():
            found = await posts.get_open_post(session, ada, post_id)
            assert (found is not None) == (visibility in ("public", "unlisted")), visibility
        assert await posts.get_open_post(session, ada, bea_post) is None


async def test_open_posts_are_paged_newest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        for n in range(5):
            await world.post(session, ada, f"post {n}")
            await anyio.sleep(0.002)  # ids order by millisecond
        await world.post(session, ada, "hidden", Visibility.PRIVATE)

    async with sessions() as session:
        ada = await _local(session, "ada")
        first = await posts.open_posts_page(session, ada, max_id=None, limit=2)
        second = await posts.open_posts_page(session, ada, max_id=first[-1].id, limit=2)
        last = await posts.open_posts_page(session, ada, max_id=second[-1].id, limit=2)
        after = await posts.open_posts_page(session, ada, max_id=last[-1].id, limit=2)
        texts = [[p.content_html for p in page] for page in (first, second, last, after)]
        assert texts == [
            ["<p>post 4</p>", "<p>post 3</p>"],
            ["<p>post 2</p>", "<p>post 1</p>"],
            ["<p>post 0</p>"],
            [],
        ]


async def test_pinned_open_posts_show_the_latest_pin_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        older = await world.post(session, ada, "older pin")
        newer = await world.post(session, ada, "newer pin")
        secret = await world.post(session, ada, "private pin", Visibility.PRIVATE)
        await world.post(session, ada, "not pinned")
        older.pinned_at = utcnow() - timedelta(days=1)
        newer.pinned_at = utcnow()
        secret.pinned_at = utcnow()

    async with sessions() as session:
        pinned = await posts.pinned_open_posts(session, await _local(session, "ada"))
        assert [p.content_html for p in pinned] == ["<p>newer pin</p>", "<p>older pin</p>"]


async def test_local_post_counts_leave_out_remote_posts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        await world.local_member(session, "cat")
        await world.post(session, ada, "one")
        await world.post(session, ada, "two", Visibility.DIRECT)
        await world.post(session, bea, "three")
        old = await world.post(session, bea, "old")
        old.created_at = utcnow() - timedelta(days=60)
        remote = _remote_account("dan", "social.example")
        session.add(remote)
        await session.flush()
        session.add(
            Post(
                account_id=remote.id,
                uri="https://social.example/users/dan/statuses/1",
                url="https://social.example/@dan/1",
                content_html="<p>remote</p>",
            )
        )

    async with sessions() as session:
        assert await posts.count_local_posts(session) == 3  # public ones only: not the direct
        month_ago = utcnow() - timedelta(days=30)
        assert await posts.count_active_local_authors(session, month_ago) == 2
        assert await posts.count_active_local_authors(session, utcnow() + timedelta(days=1)) == 0


async def _local(session: AsyncSession, username: str) -> Account:
    found = await session.scalar(
        select(Account).where(Account.domain.is_(None), Account.username == username)
    )
    assert found is not None
    return found


def _remote_account(username: str, domain: str) -> Account:
    uri = f"https://{domain}/users/{username}"
    return Account(
        username=username,
        domain=domain,
        actor_type="Person",
        uri=uri,
        url=f"https://{domain}/@{username}",
        inbox_uri=f"{uri}/inbox",
        outbox_uri=f"{uri}/outbox",
        key_id=f"{uri}#main-key",
        public_key_pem=keypair_for_tests(1).public_pem,
    )


async def test_the_text_to_edit_is_the_authors_own_or_read_back_from_the_html(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice")
        post = await world.post(session, alice, "Line <one>\nline two\n\nSecond #tag")
        assert posts.source_of(post) == "Line <one>\nline two\n\nSecond #tag"
        post.source_text = None  # a post from before the text was kept
        assert posts.source_of(post) == "Line <one>\nline two\n\nSecond #tag"
