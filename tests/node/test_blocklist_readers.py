"""Who reads the node's domain blocks at `/api/v1/instance/domain_blocks`, and what they
read: as Mastodon, per the admin's settings (`HARBOUR_BLOCKS_READERS` for the list,
`HARBOUR_BLOCKS_REASONS_READERS` for its public reasons). A member signed in with an app
is not a partner: the list is hers to read only where the node says so. Whoever reads it
never sees a moderator's private note, a block that only rejects media or reports, or an
obfuscated domain's name."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from content.users import Role
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms, Severity
from moderation.published_lists import Readers
from node.settings import Settings
from node.state import Services
from tests.rig import world
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio
PATH = "/api/v1/instance/domain_blocks"
HARASSERS = {"domain": "harassers.example", "severity": "suspend", "comment": "doxxing"}


async def the_lists_blocks(services: Services) -> tuple[dict[str, str], dict[str, str]]:
    """Three blocks (one public, one obfuscated, one only rejecting media), a member's and a
    moderator's app."""
    async with services.sessions() as session, session.begin():
        for terms in [
            BlockTerms("harassers.example", Severity.SUSPEND, public_comment="doxxing",
                       private_comment="she named a member's street"),
            BlockTerms("stalker-of-mira.example", Severity.SILENCE, obfuscate=True,
                       public_comment="stalking", private_comment="Mira's ex runs it"),
            BlockTerms("bigfiles.example", Severity.NOOP, reject_media=True,
                       private_comment="we cannot afford the disk"),
        ]:  # fmt: skip
            await domain_blocks.block(session, terms)
        mel = await world.local_member(session, "mel", role=Role.MEMBER)
        mo = await world.local_member(session, "mo", role=Role.MODERATOR)
        return await bearer(session, mel, ["read"]), await bearer(session, mo, ["read"])


@pytest.fixture
def readers() -> tuple[Readers, Readers]:
    """Who reads the list, and who its reasons: the defaults unless a test says."""
    return Readers.PARTNERS, Readers.PARTNERS


@pytest.fixture
def settings(settings: Settings, readers: tuple[Readers, Readers]) -> Settings:
    return replace(settings, blocks_readers=readers[0], blocks_reasons_readers=readers[1])


async def test_by_default_a_members_app_does_not_read_the_list_and_moderators_do(
    client: httpx.AsyncClient, services: Services
) -> None:
    member, moderator = await the_lists_blocks(services)
    refused = await client.get(PATH, headers=member)
    assert refused.status_code == 403 and "harassers" not in refused.text
    assert (await client.get(PATH)).status_code == 401  # unsigned, no app
    listed = (await client.get(PATH, headers=moderator)).json()
    assert [{k: row[k] for k in HARASSERS} for row in listed] == [
        HARASSERS,
        {"domain": "sta*********ira.example", "severity": "silence", "comment": "stalking"},
    ]
    assert "street" not in str(listed) and "ex runs" not in str(listed)
    assert "bigfiles" not in str(listed)  # only its media are refused: not published


@pytest.mark.parametrize(
    ("readers", "member_sees", "anyone_sees"),
    [
        ((Readers.MEMBERS, Readers.PARTNERS), [None, None], 401),
        ((Readers.MEMBERS, Readers.MEMBERS), ["doxxing", "stalking"], 401),
        ((Readers.EVERYONE, Readers.MEMBERS), ["doxxing", "stalking"], [None, None]),
        ((Readers.EVERYONE, Readers.EVERYONE), ["doxxing", "stalking"], ["doxxing", "stalking"]),
        ((Readers.NOBODY, Readers.EVERYONE), 404, 404),
    ],
)
async def test_the_admin_says_who_reads_the_list_and_who_its_reasons(
    client: httpx.AsyncClient,
    services: Services,
    readers: tuple[Readers, Readers],
    member_sees: list[str | None] | int,
    anyone_sees: list[str | None] | int,
) -> None:
    member, moderator = await the_lists_blocks(services)
    for headers, expected in [(member, member_sees), ({}, anyone_sees)]:
        answer = await client.get(PATH, headers=headers)
        if isinstance(expected, int):
            assert answer.status_code == expected
            continue
        rows = answer.json()
        assert [row["comment"] for row in rows] == expected
        assert [row["domain"] for row in rows] == [
            "harassers.example",
            "sta*********ira.example",
        ]
        assert "ex runs" not in answer.text and "bigfiles" not in answer.text
    staff = await client.get(PATH, headers=moderator)
    assert staff.status_code == (404 if readers[0] == Readers.NOBODY else 200)
