"""Service listings: field-level validation (translations too), and search by country,
category, language and text (translated text too), newest first and paged, with stale
listings marked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from content import directory
from content.accounts import Account
from content.directory import Query
from content.listing_fields import (
    ListingError,
    ListingFields,
    Translation,
    drop_invalid_translations,
    validate,
)
from content.paging import NEWEST, Window
from node.database import create_engine, create_sessionmaker
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


def test_translations_are_normalised_and_checked_row_by_row() -> None:
    values = fields(
        language="EN-gb",
        translations=[Translation("RO", "  Testare   Checkpoint ", " Teste HIV gratuite. ")],
    )
    validate(values, today=TODAY)
    assert values.language == "en-GB"
    assert values.translations == [Translation("ro", "Testare Checkpoint", "Teste HIV gratuite.")]
    errors = errors_of(
        fields(
            language="not a tag",
            translations=[
                Translation("ro", "Testare", ""),
                Translation("RO", "Again", ""),
                Translation("<b>", "x" * 201, "y" * 4001),
                Translation("de", "", ""),
            ],
        )
    )
    assert errors == {
        "language": "Give a language tag (BCP 47, such as en, ro or pt-BR).",
        "translations-1-language": "There is already a text in this language.",
        "translations-2-language": "Give the language of this translation (such as ro or pt-BR).",
        "translations-2-name": "At most 200 characters.",
        "translations-2-summary": "At most 4000 characters.",
        "translations-3-name": "Give the name or the summary in this language.",
    }
    same = errors_of(fields(language="de", translations=[Translation("de", "Test", "")]))
    assert same == {"translations-0-language": "There is already a text in this language."}
    many = [Translation(f"x-{n:03}", "Name", "") for n in range(41)]
    assert errors_of(fields(translations=many)) == {"translations": "At most 40 translations."}


def test_a_remote_listing_keeps_only_its_valid_translations() -> None:
    values = fields(
        language="ro",
        translations=[Translation("en", "Checkpoint", ""), Translation("<script>", "x", ""),
                      Translation("RO", "Dup", ""), Translation("hu", "", "")]
        + [Translation(f"x-{n:03}", "Name", "") for n in range(45)],
    )  # fmt: skip
    drop_invalid_translations(values)
    validate(values, today=TODAY)
    assert [t.language for t in values.translations[:2]] == ["en", "x-000"]
    assert len(values.translations) == 40


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
        assert await _names(session, Query(text="requests_ BEDS!")) == ["Lisbon shelter"]
        assert await _names(session, Query(text="bucuresti")) == ["Bucharest lawyers"]
        assert await _names(session, Query(text="bucur law")) == ["Bucharest lawyers"]
        assert await _names(session, Query(text="0%")) == []  # words match from their start
        assert await _names(session, Query(text="ucharest")) == []
        assert await _names(session, Query(country="DE", category="housing")) == []
        # With a country the category and language are probed per listing, without one
        # they are read as sets: both ways find the same.
        both = {"category": "migration-legal", "language": "en"}
        assert await _names(session, Query(country="RO", **both)) == ["Bucharest lawyers"]
        assert await _names(session, Query(**both)) == ["Bucharest lawyers"]
        assert await _names(session, Query(country="PT", language="pt")) == ["Lisbon shelter"]
        assert await _names(session, Query(country="PT", language="pt-br")) == []


async def test_translated_names_and_summaries_are_found_and_shown(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        romanian = Translation("ro", "Clinica de noapte", "Teste anonime ÎN FIECARE SEARĂ.")
        summary_only = Translation("hu", "", "Névtelen tesztek.")
        listing = await _add(session, org, translations=[romanian, summary_only])
        await _add(session, org, name="Other")
        assert await _names(session, Query(text="CLINICA seară")) == ["Checkpoint testing"]
        assert await _names(session, Query(text="névtelen")) == ["Checkpoint testing"]
        assert await _names(session, Query(text="NEVTEL teszt")) == ["Checkpoint testing"]
        assert listing.available_languages == ["en", "ro", "hu"]
        assert listing.wording("ro") == directory.Wording(
            "Clinica de noapte", "ro", "Teste anonime ÎN FIECARE SEARĂ.", "ro"
        )
        hungarian = listing.wording("hu")
        assert (hungarian.name, hungarian.name_language) == ("Checkpoint testing", "en")
        assert hungarian.summary_language == "hu"
        assert listing.wording("fr") == listing.wording("en")
        assert listing.values().translations == [romanian, summary_only]


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


async def test_search_words_in_any_script_are_kept_in_sync(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        listing = await _add(session, org, name="Клиника Йордан", city="Straße")
        assert await _names(session, Query(text="клин йорд")) == ["Клиника Йордан"]
        assert await _names(session, Query(text="STRASSE")) == ["Клиника Йордан"]
        values = fields(name="Nachtklinik", city="Köln")
        validate(values, today=TODAY)
        await directory.save(session, org, values, listing=listing)
        assert await _names(session, Query(text="клин")) == []
        assert await _names(session, Query(text="koln nacht")) == ["Nachtklinik"]
        await directory.remove(session, listing)
        assert await _names(session, Query(text="koln")) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_search_with_words_is_planned_for_its_words_on_postgresql(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A pooled connection prepares the search after 5 runs; a generic plan then walked the
    newest listings for a rare word (127 ms at 100k) where its trigram index took 12."""
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        await _add(session, org, name="Nachtklinik", city="Köln")
        for _ in range(7):
            assert await _names(session, Query(text="koln")) == ["Nachtklinik"]
        mode = await session.scalar(text("SELECT current_setting('plan_cache_mode')"))
        assert mode == "force_custom_plan"


async def test_filters_and_words_together_find_only_listings_with_both(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Each word is tested with the filters on the same listing: a listing with the word
    but another category, and one in the category without the word, are not found."""
    async with sessions() as session, session.begin():
        org = await _organisation(session)
        await _add(session, org, name="Night clinic", categories=["prep"], languages=["de"])
        await _add(session, org, name="Night shelter", categories=["housing"], languages=["de"])
        await _add(session, org, name="Day clinic", categories=["prep"], languages=["de"])
        await _add(session, org, name="Night tests", categories=["prep"], languages=["fr"])
        await _add(session, org, name="Nightline", country="AT", categories=["prep"])
        three = Query(country="DE", category="prep", language="de")
        for typed in ("ni", "night", "nig cli"):  # two letters: the LIKE alone decides
            assert await _names(session, replace(three, text=typed)) == ["Night clinic"]
        assert await _names(session, replace(three, text="cl")) == ["Day clinic", "Night clinic"]
        assert await _names(session, replace(three, text="shelter")) == []
        assert await _names(session, Query(category="prep", language="de", text="ni")) == [
            "Nightline", "Night clinic"
        ]  # fmt: skip
        assert await _names(session, Query(country="DE", text="ni")) == [
            "Night tests", "Night shelter", "Night clinic"
        ]  # fmt: skip
        prep = await directory.search(session, Query(category="prep"), Window(limit=2))
        assert [listing.name for listing, _ in prep] == ["Nightline", "Night tests"]
        older = Window(limit=2, max_id=prep[-1][0].id)
        assert await _names(session, Query(category="prep"), older) == [
            "Day clinic", "Night clinic"
        ]  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_reads_a_listings_words_only_once_its_filters_hold(database_url: str) -> None:
    """Walking a country's listings for a category and a word, the word is tested on the
    one listing in the category, not on each of the country's (a LIKE that counts)."""
    tested: list[str] = []

    def like(pattern: str, value: str) -> bool:  # SQLite calls like(Y, X) for X LIKE Y
        tested.append(value)
        return pattern.strip("%") in value

    engine = create_engine(database_url)
    event.listen(engine.sync_engine, "connect", lambda db, _: db.create_function("like", 2, like))
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            org = await _organisation(session)
            for n in range(6):
                await _add(session, org, name=f"Night shelter {n}", categories=["housing"])
            await _add(session, org, name="Night clinic", categories=["prep"])
            found = await _names(session, Query(country="DE", category="prep", text="ni"))
        assert found == ["Night clinic"]
        assert tested == [" night clinic hydra e v berlin free and anonymous hiv and sti tests"]
    finally:
        await engine.dispose()
