"""Trust lists: reading published lists, and the diff an admin reviews before applying."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts
from moderation import allowlist, audit, domain_blocks, trust_lists
from moderation.domain_blocks import BlockTerms, Severity
from moderation.published_lists import ListFormatError, Published, parse
from moderation.trust_lists import Action, Change, Kind, TrustListEntry, diff
from tests.rig import world
from tests.rig.keys import keypair_for_tests

SUSPEND, SILENCE, NOOP = Severity.SUSPEND, Severity.SILENCE, Severity.NOOP


def listing(*entries: BlockTerms) -> Published:
    return Published(entries)


def actions(review: trust_lists.Review) -> list[tuple[str, str, str | None]]:
    return [(c.action, c.entry.domain, c.before) for c in review.changes]


def test_a_new_domain_is_an_addition_and_a_known_one_is_left_alone() -> None:
    published = listing(
        BlockTerms("hostile.example", public_comment="harassment"), BlockTerms("known.example")
    )
    review = diff(Kind.BLOCKLIST, published, {"known.example": SUSPEND}, brought=())
    assert actions(review) == [(Action.ADD, "hostile.example", None)]
    assert review.changes[0].entry.public_comment == "harassment"


def test_a_severity_changes_when_the_list_brought_it_or_is_stricter() -> None:
    published = listing(BlockTerms("ours.example", SILENCE), BlockTerms("theirs.example", SILENCE),
                        BlockTerms("mild.example", SUSPEND))  # fmt: skip
    current = {"ours.example": SUSPEND, "theirs.example": SUSPEND, "mild.example": SILENCE}
    review = diff(Kind.BLOCKLIST, published, current, brought={"theirs.example"})
    # An admin's own suspension is never softened by someone else's list.
    assert actions(review) == [
        (Action.CHANGE, "theirs.example", SUSPEND),
        (Action.CHANGE, "mild.example", SILENCE),
    ]


def test_only_domains_the_list_brought_are_proposed_for_removal() -> None:
    current = {"handmade.example": SUSPEND, "gone.example": SILENCE, "shared.example": SUSPEND}
    review = diff(
        Kind.BLOCKLIST,
        listing(),
        current,
        brought={"gone.example", "shared.example", "lifted-here.example"},
        kept_elsewhere={"shared.example"},  # another subscription still lists it
    )
    assert actions(review) == [(Action.REMOVE, "gone.example", SILENCE)]


def test_an_allowlist_adds_and_removes_hosts_without_severities() -> None:
    published = listing(BlockTerms("friend.example"), BlockTerms("known.example", NOOP))
    current = {"known.example": None, "old.example": None}
    review = diff(Kind.ALLOWLIST, published, current, brought={"old.example"})
    assert actions(review) == [
        (Action.ADD, "friend.example", None),
        (Action.REMOVE, "old.example", None),
    ]


def test_mastodons_public_json_is_read_and_obfuscated_domains_are_skipped() -> None:
    body = (
        b'[{"domain":"hostile.example","digest":"ab","severity":"suspend","comment":"harassment"},'
        b'{"domain":"no*sy.example","digest":"cd","severity":"silence","comment":null},'
        b'{"domain":"Quiet.Example.","digest":"ef","severity":"silence","comment":null}]'
    )
    published = parse(body, "application/json")
    assert published.entries == (
        BlockTerms("hostile.example", SUSPEND, public_comment="harassment"),
        BlockTerms("quiet.example", SILENCE),
    )
    assert published.skipped == (("no*sy.example", "obfuscated"),)
    review = diff(Kind.BLOCKLIST, published, {}, brought=())
    assert review.skipped == (("no*sy.example", "obfuscated"),)


def test_a_csv_or_a_plain_list_is_read_too() -> None:
    csv = (
        b"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        b"noisy.example,silence,true,false,Spam,false\n"
    )
    assert parse(csv, "text/csv").entries == (
        BlockTerms("noisy.example", SILENCE, reject_media=True, public_comment="Spam"),
    )
    assert parse(b"one.example\nlocalhost\n", "text/plain") == Published(
        (BlockTerms("one.example"),), (("localhost", "not a domain"),)
    )


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"<html><body>Not found</body></html>", "text/html", "neither JSON nor CSV"),
        (b'{"error": "nope"}', "application/json", "not a list"),
        (b"[1, 2]", "application/json", "entry 1 has no domain"),
        (b"[{", "application/json", "not valid JSON"),
        (b"[" * 5000, "application/json", "nests deeper than"),
        (b"\xff\xfe\x00", "text/plain", "not UTF-8"),
        (b"#domain,#severity\na.example,obliterate\n", "text/csv", "line 2"),
    ],
)
def test_unusable_lists_are_refused_with_a_reason(
    body: bytes, content_type: str, problem: str
) -> None:
    with pytest.raises(ListFormatError, match=problem):
        parse(body, content_type)


@pytest.mark.anyio
async def test_review_then_apply_records_provenance_audit_and_removal(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    url = "https://partner.example/api/v1/instance/domain_blocks"
    async with sessions() as session, session.begin():
        row = await trust_lists.subscribe(session, url, Kind.BLOCKLIST)
        await domain_blocks.block(session, BlockTerms("handmade.example"))
        published = listing(BlockTerms("hostile.example", public_comment="harassment"))
        trust_lists.record_fetch(row, published, None)
        # Nothing changes until an admin applies the reviewed copy.
        assert [b.domain for b in await domain_blocks.all_blocks(session)] == ["handmade.example"]
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
        await trust_lists.apply(session, row, pending.changes)
    assert row.name == "partner.example"
    async with sessions() as session, session.begin():
        block = await domain_blocks.by_domain(session, "hostile.example")
        assert block is not None
        assert (block.severity, block.public_comment) == ("suspend", "harassment")
        [(entry, who)] = await audit.recent(session)
        assert (entry.action, entry.target, who) == (
            "domain.suspend", "hostile.example", "command line"
        )  # fmt: skip
        assert entry.reason == "from trust list partner.example"
        assert list(await session.scalars(select(TrustListEntry.domain))) == ["hostile.example"]

        # The partner lifts its block: the next review proposes removing only that one.
        row = await trust_lists.find(session, url)
        trust_lists.record_fetch(row, listing(), None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
        assert pending.changes == (Change(Action.REMOVE, BlockTerms("hostile.example"), SUSPEND),)
        await trust_lists.apply(session, row, pending.changes)
    async with sessions() as session:
        assert [b.domain for b in await domain_blocks.all_blocks(session)] == ["handmade.example"]
        assert list(await session.scalars(select(TrustListEntry.domain))) == []


@pytest.mark.anyio
async def test_an_allowlist_subscription_feeds_the_allowlist(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        row = await trust_lists.subscribe(
            session, "https://partner.example/allowed.csv", Kind.ALLOWLIST
        )
        with pytest.raises(trust_lists.TrustListError, match="not been reviewed"):
            trust_lists.reviewed_copy(row)
        trust_lists.record_fetch(row, listing(BlockTerms("friend.example")), None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
        await trust_lists.apply(session, row, pending.changes)
        assert list(await allowlist.allowed_domains(session)) == ["friend.example"]
        assert row.name == "partner.example/allowlist"
        with pytest.raises(trust_lists.TrustListError, match="already subscribed"):
            await trust_lists.subscribe(
                session, "https://partner.example/allowed.csv", Kind.BLOCKLIST
            )


@pytest.mark.anyio
async def test_a_list_never_blocks_this_node_its_partners_or_a_public_suffix(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """However trusted, a list cannot cut the node off: those entries are skipped, with why."""
    async with sessions() as session, session.begin():
        await accounts.ensure_instance_actor(  # this node is harbour.test
            session, base_url=world.BASE_URL, host="harbour.test", keypair=keypair_for_tests(2)
        )
        await allowlist.allow(session, "social.partner.example")
        row = await trust_lists.subscribe(session, "https://lists.example/b.csv", Kind.BLOCKLIST)
        hostile = ("harbour.test", "social.partner.example", "partner.example", "co.uk",
                   "github.io", "hostile.example")  # fmt: skip
        trust_lists.record_fetch(row, listing(*(BlockTerms(name) for name in hostile)), None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
    assert [change.entry.domain for change in pending.changes] == ["hostile.example"]
    assert dict(pending.skipped) == {
        "harbour.test": "this node itself",
        "social.partner.example": "a partner on the allowlist",
        "partner.example": "a partner on the allowlist",
        "co.uk": "a public suffix, with every server under it",
        "github.io": "a public suffix, with every server under it",
    }


@pytest.mark.anyio
async def test_what_an_admin_does_between_the_review_and_the_apply_holds(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The changes were reviewed (by an admin, or by the worker a batch before); meanwhile
    another admin suspended one of the domains by hand and put another on the allowlist as
    a partner. Applying keeps her suspension as she made it (the list's milder silence does
    not replace it, nor does the list take it over, so the list's retraction cannot lift
    it) and does not block the partner."""
    async with sessions() as session, session.begin():
        row = await trust_lists.subscribe(session, "https://lists.example/b.csv", Kind.BLOCKLIST)
        entries = ("stalker.example", "friend.example", "spam.example")
        trust_lists.record_fetch(row, listing(*(BlockTerms(n, SILENCE) for n in entries)), None)
        pending = await trust_lists.review(session, row, trust_lists.reviewed_copy(row))
    assert [c.action for c in pending.changes] == [Action.ADD] * 3
    async with sessions() as session, session.begin():  # another admin, meanwhile
        await domain_blocks.block(
            session, BlockTerms("stalker.example", SUSPEND, private_comment="threats to Ana")
        )
        await allowlist.allow(session, "friend.example")
    async with sessions() as session, session.begin():
        row = await trust_lists.find(session, "https://lists.example/b.csv")
        await trust_lists.apply(session, row, pending.changes)
    async with sessions() as session:
        blocks = {
            b.domain: (b.severity, b.private_comment)
            for b in await domain_blocks.all_blocks(session)
        }
        brought = list(await session.scalars(select(TrustListEntry.domain)))
    assert blocks == {
        "stalker.example": ("suspend", "threats to Ana"),
        "spam.example": ("silence", "from trust list lists.example"),
    }
    assert brought == ["spam.example"]
