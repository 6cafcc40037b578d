"""Staff save and delete their organisation's country pages: each change is written and the
object carrying every language version of the page is sent to the organisation's followers
(Create for a country's first version, Update after, Delete with the last) in the caller's
transaction (the caller commits and calls `fed.notify()`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from content import countries
from content.accounts import Account
from content.countries import CountryPage
from content.country_fields import CountryPageFields
from federation import country_wire, object_outbox
from federation.context import Federation


def page_url(fed: Federation, country: str) -> str:
    """The web page showing every organisation's page about a country."""
    return f"{fed.base_url}/countries/{country}"


async def save(
    fed: Federation,
    session: AsyncSession,
    organisation: Account,
    author: Account,
    values: CountryPageFields,
) -> CountryPage:
    """A new revision of one language version from validated values, sent to followers."""
    uri = countries.local_uri(fed.base_url, values.country, organisation.username)
    existing = await countries.by_uri(session, uri)
    page = await countries.save_revision(session, organisation, author, values, uri)
    await _send(fed, session, organisation, "Update" if existing else "Create", uri)
    return page


async def delete(
    fed: Federation, session: AsyncSession, organisation: Account, page: CountryPage
) -> None:
    """Delete one language version: followers get the rest (Update) or a Delete."""
    await countries.remove(session, [page])
    if await countries.by_uri(session, page.uri):
        await _send(fed, session, organisation, "Update", page.uri)
    else:
        tombstone = {"id": page.uri, "type": "Tombstone"}
        await object_outbox.to_followers(
            fed, session, organisation, "Delete", tombstone, country_wire.CONTEXT
        )


async def send_again(
    fed: Federation, session: AsyncSession, organisation: Account, uri: str
) -> None:
    """The page as it is now, sent to the organisation's followers again (another
    organisation vouched for it)."""
    await _send(fed, session, organisation, "Update", uri)


async def send_existing(
    fed: Federation, session: AsyncSession, organisation: Account, follower: Account
) -> None:
    """A new follower on another server gets a Create of each of the organisation's pages."""
    documents = [
        country_wire.document(pages, organisation, page_url(fed, country))
        for country, pages in (await countries.of_account(session, organisation)).items()
    ]
    await object_outbox.to_follower(
        fed, session, organisation, follower, documents, country_wire.CONTEXT
    )


async def _send(
    fed: Federation, session: AsyncSession, organisation: Account, kind: str, uri: str
) -> None:
    pages = await countries.by_uri(session, uri)
    document = country_wire.document(pages, organisation, page_url(fed, pages[0].country))
    await object_outbox.to_followers(
        fed, session, organisation, kind, document, country_wire.CONTEXT
    )
