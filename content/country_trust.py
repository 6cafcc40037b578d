"""Which organisations staff trust for which country. Once staff name an organisation for a
country, only the named ones publish listings and country pages about that country here
(this node's own organisation always may); a country nobody is named for takes any
organisation a local account follows (`federation.handlers.publishers`)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import countries, directory
from content.accounts import Account
from content.orm import Base


class CountryTrust(Base):
    """Staff trust `account` (a remote organisation) for what it publishes about `country`."""

    __tablename__ = "country_trust"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )


async def trusted(session: AsyncSession, organisation: Account, country: str) -> bool:
    """Whether `organisation` may publish about `country` (an ISO 3166-1 alpha-2 code)."""
    named = set(
        await session.scalars(
            select(CountryTrust.account_id).where(CountryTrust.country == country.upper())
        )
    )
    return organisation.is_local or not named or organisation.id in named


async def name(session: AsyncSession, country: str, organisation: Account) -> None:
    """Trust `organisation` for `country`; copies about it from organisations not named go."""
    country = country.upper()
    if await session.get(CountryTrust, (country, organisation.id)) is None:
        session.add(CountryTrust(country=country, account_id=organisation.id))
        await session.flush()
    others = select(Account.id).where(
        Account.domain.is_not(None),
        Account.id.not_in(select(CountryTrust.account_id).where(CountryTrust.country == country)),
    )
    await directory.remove_of_accounts(session, others, country=country)
    await countries.remove_of_accounts(session, others, country=country)


async def unname(session: AsyncSession, country: str, organisation: Account) -> bool:
    """Stop naming `organisation` for `country`; False if it was not named."""
    result = await session.execute(
        delete(CountryTrust).where(
            CountryTrust.country == country.upper(), CountryTrust.account_id == organisation.id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def all_named(session: AsyncSession) -> list[tuple[str, Account]]:
    """Every (country, organisation) staff named, by country."""
    rows = await session.execute(
        select(CountryTrust.country, Account)
        .join(Account, Account.id == CountryTrust.account_id)
        .order_by(CountryTrust.country, Account.uri)
    )
    return [(row[0], row[1]) for row in rows]
