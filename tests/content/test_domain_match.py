"""The one SQL test of "this host is on one of these domains", on each database: the domain,
its sub-domains, with or without a port, and nothing that merely looks alike; LIKE's
wildcards in a domain are plain characters; thousands of domains in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import String, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.domain_match import on_any

pytestmark = pytest.mark.anyio
ON = ["evil.example", "evil.example:8443", "a.evil.example", "a.b.evil.example:443"]
OFF = ["notevil.example", "evil.example.org", "evilexample", "example", "x.evil.exampl"]


async def matches(session: AsyncSession, host: str, domains: list[str]) -> bool:
    return bool(await session.scalar(select(on_any(literal(host, String), domains))))


async def test_a_host_is_on_a_domain_its_sub_domains_and_ports_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    many = [f"h{number}.other.example" for number in range(5000)]
    async with sessions() as session:
        for host in ON:
            assert await matches(session, host, ["evil.example"]), host
            assert await matches(session, host, [*many, "evil.example"]), host
        for host in OFF:
            assert not await matches(session, host, ["evil.example"]), host
            assert not await matches(session, host, [*many, "evil.example"]), host
        assert await matches(session, "a_b.example", ["a_b.example"])
        assert not await matches(session, "axb.example", ["a_b.example"])
        assert not await matches(session, "ab.example", ["a%b.example"])
        assert not await matches(session, "evil.example", [])
        for host, listed in (
            ("evil.example:8443", "evil.example:8443"),  # a rule with its port
            ("127.0.0.1:8001", "127.0.0.1:8001"),
            ("127.0.0.1:8001", "127.0.0.1"),
            ("[::1]:8000", "[::1]"),
            ("[::1]", "[::1]"),
        ):
            assert await matches(session, host, [*many, listed]), (host, listed)
        assert not await matches(session, "evil.example:9000", ["evil.example:8443"])
        assert not await matches(session, "127.0.0.1:8002", ["127.0.0.1:8001"])
