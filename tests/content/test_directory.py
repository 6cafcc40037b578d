"""Service listings: field-level validation, and search by country, category, language and
text, newest first and paged, with stale listings marked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import directory
from content.accounts import Account
from content.directory import Query
from content.listing_fields import ListingError, ListingFields, validate
from content.paging import NEWEST, Window
from tests.rig import world

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 23)


def fields(**changes: object) -> ListingFields:
    values = ListingFields(
        name="Checkpoint testing",
        organisation="Hydra e.V.",
        country="de",
        city="Berlin",
        summary="Free and anonymous HIV and STI tests.",
        categories=["sexual-health", "prep"],
        languages=["de", "EN", "pt-br"],
        last_verified=date(2026, 6, 1),
        verified_by="Hydra e.V.",
    )
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def errors_of(values: ListingFields) -> dict[str, str]:
    with pytest.raises(ListingError) as raised:
        validate(values, today=TODAY)
    return raised.value.errors


def test_valid_listing_is_normalised() -> None:
    values = fields()
    validate(values, today=TODAY)
    assert values.country == "DE"
    assert values.languages == ["de", "en", "pt-BR"]
    assert values.categories == ["sexual-health", "prep"]


def test_each_bad_field_gets_its_own_message() -> None:
    errors = errors_of(
        fields(
            name=" ",
            country="XX",
            categories=["astrology"],
            languages=["not a tag"],
            email="nobody",
            website="ftp://x",
            last_verified=date(2027, 1, 1),
        )
    )
    assert set(errors) == {
        "name", "country", "categories", "languages", "email", "website", "last_verified"
    }  # fmt: skip
    assert errors["categories"] == "Unknown category: astrology."
    assert "BCP 47" in errors["languages"]
    assert errors["name"] == "This field is required."


def test_a_listing_needs_a_category_a_language_and_a_verification() -> None:
    errors = errors_of(fields(categories=[], languages=[], last_verified=None, verified_by=""))
    assert set(errors) == {"categories", "languages", "last_verified", "verified_by"}


def test_remote_listings_may_carry_codes_outside_the_vocabulary() -> None:
    values = fields(categories=["sex-work-unions"])
    validate(values, today=TODAY, known_categories_only=False)
    assert values.categories == ["sex-work-unions"]


async def _organisation(session: AsyncSession) -> Account:
    return await world.local_actor(session, "hydra", ActorType.ORGANIZATION)


async def _add(session: AsyncSession, org: Account, **changes: object) -> directory.Listing:
    values = fields(**changes)
    validate(values, today=TODAY)
    return await directory.save(session, org, values, uri=f"https://harbour.test/d/{values.name}")


async def _names(session: AsyncSession, query: Query, window: Window = NEWEST) -> list[str]:
    return [listing.name for listing, _ in await directory.search(session, query, window)]


async def test_search_filters_by_country_category_language_and_text(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        await _add(session, org, name="Berlin tests")
        await _add(
            session, org, name="Bucharest lawyers", country="RO", city="București",
            categories=["migration-legal"], languages=["ro", "en"],
        )  # fmt: skip
        await _add(session, org, name="Lisbon shelter", country="PT", categories=["housing"],
                   languages=["pt-PT"], summary="Emergency beds for 10% of requests_")  # fmt: skip
        assert await _names(session, Query()) == ["Lisbon shelter", "Bucharest lawyers",
                                                   "Berlin tests"]  # fmt: skip
        assert await _names(session, Query(country="ro")) == ["Bucharest lawyers"]
        assert await _names(session, Query(category="housing")) == ["Lisbon shelter"]
        assert await _names(session, Query(language="en")) == ["Bucharest lawyers", "Berlin tests"]
        assert await _names(session, Query(language="pt")) == ["Lisbon shelter", "Berlin tests"]
        assert await _names(session, Query(language="pt-br")) == ["Berlin tests"]
        assert await _names(session, Query(text="BUCUREȘTI")) == ["Bucharest lawyers"]
        assert await _names(session, Query(text="hiv berlin")) == ["Berlin tests"]
        assert await _names(session, Query(text="10%")) == ["Lisbon shelter"]
        assert await _names(session, Query(text="0%")) == ["Lisbon shelter"]
        assert await _names(session, Query(text="s_")) == ["Lisbon shelter"]
        assert await _names(session, Query(country="DE", category="housing")) == []


async def test_search_pages_newest_first_and_an_edit_moves_the_filters(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        made = [await _add(session, org, name=f"Service {n}") for n in range(5)]
        first = await directory.search(session, Query(), Window(limit=2))
        assert [listing.name for listing, _ in first] == ["Service 4", "Service 3"]
        assert first[0][1].uri == org.uri
        after = await _names(session, Query(), Window(limit=2, max_id=first[-1][0].id))
        assert after == ["Service 2", "Service 1"]
        values = fields(name="Service 0", categories=["housing"], languages=["fr"])
        validate(values, today=TODAY)
        await directory.save(session, org, values, listing=made[0])
        assert await _names(session, Query(category="housing")) == ["Service 0"]
        assert await _names(session, Query(category="prep")) == [f"Service {n}" for n in
                                                                 (4, 3, 2, 1)]  # fmt: skip
        assert await _names(session, Query(language="fr")) == ["Service 0"]
        await directory.remove(session, made[0])
        assert await _names(session, Query(language="fr")) == []


async def test_a_listing_not_verified_for_twelve_months_is_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        fresh = await _add(session, org, name="Fresh", last_verified=date(2025, 11, 23))
        old = await _add(session, org, name="Old", last_verified=date(2025, 11, 22))
        assert not fresh.stale(TODAY)
        assert old.stale(TODAY)
