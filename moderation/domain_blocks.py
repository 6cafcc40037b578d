"""Domain blocks: whole servers limited or cut off, with Mastodon's CSV for shared lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import mirrors
from content.accounts import Account
from content.domain_match import on_any
from content.interactions import Interaction
from content.interface_text import N_, Message
from content.orm import Base, in_one_parameter, new_id, utcnow
from content.posts import Post
from content.relationships import Follow
from moderation.domain_names import candidates, names_a_server, normalise

CSV_HEADER = (
    "#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"
)  # fmt: skip
MAX_COMMENT = 1000


class Severity(StrEnum):
    """Mastodon's severities: `silence` limits a server (its posts stay out of public
    timelines, its follows need approval), `suspend` cuts it off, `noop` only rejects
    media or reports."""

    NOOP = "noop"
    SILENCE = "silence"
    SUSPEND = "suspend"


class DomainBlockError(ValueError):
    """A block or a CSV line that cannot be taken as given; the message says why."""


class DomainBlock(Base):
    """A server (and its sub-domains) this node limits or refuses."""

    __tablename__ = "domain_blocks"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default=Severity.SUSPEND)
    reject_media: Mapped[bool] = mapped_column(default=False)
    reject_reports: Mapped[bool] = mapped_column(default=False)
    public_comment: Mapped[str] = mapped_column(Text, default="")
    private_comment: Mapped[str] = mapped_column(Text, default="")
    obfuscate: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class BlockTerms:
    """What a block says, as an admin or a CSV line gives it."""

    domain: str
    severity: Severity = Severity.SUSPEND
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False


async def block(session: AsyncSession, terms: BlockTerms) -> DomainBlock:
    """Add or change the block of a domain; returns the stored row. Suspending a domain also
    purges what this node keeps from it."""
    name = normalise(terms.domain)
    if not names_a_server(name, localhost=True):
        raise DomainBlockError(
            Message(N_("“%(domain)s” is not a domain such as bad.example"), domain=terms.domain)
        )
    row = await by_domain(session, name) or DomainBlock(domain=name)
    row.severity = Severity(terms.severity)
    row.reject_media = terms.reject_media
    row.reject_reports = terms.reject_reports
    row.public_comment = terms.public_comment[:MAX_COMMENT]
    row.private_comment = terms.private_comment[:MAX_COMMENT]
    row.obfuscate = terms.obfuscate
    session.add(row)
    await session.flush()
    if row.severity == Severity.SUSPEND:
        await purge(session, name)
    return row


async def by_domain(session: AsyncSession, domain: str) -> DomainBlock | None:
    """The block of exactly this domain, if there is one."""
    return await session.scalar(select(DomainBlock).where(DomainBlock.domain == normalise(domain)))


async def unblock(session: AsyncSession, domain: str) -> bool:
    """Lift a domain's block; False if there was none."""
    result = await session.execute(
        delete(DomainBlock).where(DomainBlock.domain == normalise(domain))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def all_blocks(session: AsyncSession) -> Sequence[DomainBlock]:
    """Every block, by domain."""
    return (await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))).all()


async def block_for(session: AsyncSession, host: str) -> DomainBlock | None:
    """The block that applies to `host`: its own or the nearest parent domain's."""
    rows = (
        await session.scalars(select(DomainBlock).where(DomainBlock.domain.in_(candidates(host))))
    ).all()
    return max(rows, key=lambda row: len(row.domain), default=None)


async def blocks_for(session: AsyncSession, hosts: Collection[str]) -> dict[str, DomainBlock]:
    """`block_for` of each of `hosts` that has one, read in one statement."""
    wanted = {host: candidates(host) for host in hosts}
    names = set().union(*wanted.values())
    if not names:
        return {}
    # One parameter, not an IN list: a fan-out's 500 hosts were ~1,000 names (issue 18).
    among = in_one_parameter(session, DomainBlock.__table__.c.domain, names)
    rows = {row.domain: row for row in await session.scalars(select(DomainBlock).where(among))}
    found = {}
    for host, names_of_host in wanted.items():
        matching = [rows[name] for name in names_of_host if name in rows]
        if matching:
            found[host] = max(matching, key=lambda row: len(row.domain))
    return found


async def domains_with(session: AsyncSession, severity: Severity) -> list[str]:
    """The blocked domains of one severity."""
    query = select(DomainBlock.domain).where(DomainBlock.severity == severity)
    return list(await session.scalars(query))


def to_csv(blocks: Sequence[DomainBlock]) -> str:
    """Blocks in Mastodon's export format (private comments never leave the node)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in blocks:
        writer.writerow(
            [row.domain, row.severity, _flag(row.reject_media), _flag(row.reject_reports),
             row.public_comment, _flag(row.obfuscate)]
        )  # fmt: skip
    return out.getvalue()


def parse_csv(text: str) -> list[BlockTerms]:
    """Blocks from Mastodon's CSV (with or without its header) or a plain list of domains;
    a line that cannot be read is an error naming the line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    has_header = lines[0].lstrip().startswith("#domain")
    rows = csv.reader(lines[1:] if has_header else lines)
    header = [h.strip().lstrip("#") for h in next(csv.reader(lines[:1]))] if has_header else []
    terms = []
    for number, cells in enumerate(rows, start=2 if has_header else 1):
        values = dict(zip(header or ["domain"], (c.strip() for c in cells), strict=False))
        try:
            terms.append(
                BlockTerms(
                    domain=values["domain"],
                    severity=Severity(values.get("severity") or Severity.SUSPEND),
                    reject_media=_truth(values.get("reject_media")),
                    reject_reports=_truth(values.get("reject_reports")),
                    public_comment=values.get("public_comment", ""),
                    obfuscate=_truth(values.get("obfuscate")),
                )
            )
        except (KeyError, ValueError) as error:
            raise DomainBlockError(f"line {number}: cannot read {cells!r} ({error})") from None
    return terms


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _truth(value: str | None) -> bool:
    if value in (None, "", "false", "False", "FALSE", "0"):
        return False
    if value in ("true", "True", "TRUE", "1"):
        return True
    raise ValueError(f"{value!r} is not true or false")


async def purge(session: AsyncSession, domain: str) -> None:
    """Drop what this node keeps from a suspended domain: its accounts' posts (with what hangs
    off them), listings, country pages and events, their likes and boosts, and every follow
    between them and this node. The account rows stay, so their ids keep resolving to a
    blocked server."""
    remote = select(Account.id).where(on_any(Account.domain, [normalise(domain)]))
    await session.execute(delete(Post).where(Post.account_id.in_(remote)))
    await mirrors.remove_of_accounts(session, remote)
    await session.execute(delete(Interaction).where(Interaction.account_id.in_(remote)))
    await session.execute(
        delete(Follow).where(or_(Follow.follower_id.in_(remote), Follow.followed_id.in_(remote)))
    )
