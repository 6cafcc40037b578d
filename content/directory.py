"""Service listings: the `Listing` table (local and mirrored from followed organisations),
its category and language rows for indexed filters, and search."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    cast,
    delete,
    false,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from content.accounts import Account
from content.languages import primary
from content.listing_fields import ListingFields, Translation, normal_tag
from content.orm import Base, new_id, utcnow
from content.paging import Window
from content.provenance import is_stale
from content.text_search import matching, search_text

FILTER_INDEX = "ix_listings_filters"


class Listing(Base):
    """A health, social or legal service. `account_id` is the organisation actor that
    publishes it: a local one, or a followed remote one whose copy is mirrored here."""

    __tablename__ = "listings"
    # PostgreSQL also has FILTER_INDEX, made by migration 0064 alone.
    __table_args__ = (Index("ix_listings_country_id", "country", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    organisation: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[str] = mapped_column(String(255), default="")
    free: Mapped[bool] = mapped_column(default=False)
    anonymous: Mapped[bool] = mapped_column(default=False)
    papers_required: Mapped[bool] = mapped_column(default=False)
    insurance_required: Mapped[bool] = mapped_column(default=False)
    opening_hours: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    messaging: Mapped[str] = mapped_column(String(255), default="")
    street_address: Mapped[str] = mapped_column(String(255), default="")
    postal_code: Mapped[str] = mapped_column(String(255), default="")
    address_hidden: Mapped[bool] = mapped_column(default=False)
    # A mirror's copy came with its origin's FEP-8b32 integrity proof, and it verified.
    origin_proven: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_verified: Mapped[date] = mapped_column(Date)
    verified_by: Mapped[str] = mapped_column(String(255))
    # The categories and language tags, space-separated, for showing; filters use the rows.
    category_codes: Mapped[str] = mapped_column(Text, default="")
    language_tags: Mapped[str] = mapped_column(Text, default="")
    # The language of the name and summary (not those spoken: `language_tags`), and their
    # translations as [{"language", "name", "summary"}], read with the listing.
    language: Mapped[str] = mapped_column(String(64), default="en", server_default="en")
    translation_list: Mapped[list[dict[str, str]]] = mapped_column(
        "translations", JSON, default=list, server_default="[]"
    )
    # Other organisations' signed statements that they checked it too (federation/vouches),
    # as their documents: the origin's as received, a mirror's as verified.
    vouches: Mapped[list[dict[str, object]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    # The words of the name, organisation, city, region and summary (translated ones too),
    # folded for free-text search (content/text_search.py).
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def categories(self) -> list[str]:
        return self.category_codes.split()

    @property
    def languages(self) -> list[str]:
        return self.language_tags.split()

    @property
    def translations(self) -> list[Translation]:
        return [Translation(**item) for item in self.translation_list]

    @property
    def available_languages(self) -> list[str]:
        """The listing's own language first, then those it is translated into."""
        return [self.language] + [item["language"] for item in self.translation_list]

    def wording(self, language: str) -> Wording:
        """The name and summary to show in `language`, each in its own language: a
        translation lacking one falls back to the listing's own."""
        own = Wording(self.name, self.language, self.summary, self.language)
        for item in self.translation_list:
            if item["language"] == language:
                return Wording(
                    item["name"] or own.name,
                    language if item["name"] else own.name_language,
                    item["summary"] or own.summary,
                    language if item["summary"] else own.summary_language,
                )
        return own

    def stale(self, today: date) -> bool:
        """Not verified again for twelve months."""
        return is_stale(self.last_verified, today)

    def values(self) -> ListingFields:
        """The listing's fields, as a form or a document shows them."""
        lists = {"categories", "languages", "translations"}
        names = {f.name for f in fields(ListingFields)} - lists
        found = ListingFields(**{name: getattr(self, name) for name in names})
        found.categories, found.languages = self.categories, self.languages
        found.translations = self.translations
        return found


@dataclass(frozen=True)
class Wording:
    """A listing's name and summary as shown to a reader, with the language of each."""

    name: str
    name_language: str
    summary: str
    summary_language: str


class ListingCategory(Base):
    """One category of a listing, read by code then listing (newest first)."""

    __tablename__ = "listing_categories"
    __table_args__ = (Index("ix_listing_categories_code_listing_id", "code", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class ListingLanguage(Base):
    """One language of a listing: the full tag and its primary language, each indexed."""

    __tablename__ = "listing_languages"
    __table_args__ = (
        Index("ix_listing_languages_language_listing_id", "language", "listing_id"),
        Index("ix_listing_languages_tag_listing_id", "tag", "listing_id"),
    )

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))


async def save(
    session: AsyncSession,
    account: Account,
    values: ListingFields,
    *,
    uri: str = "",
    base_url: str = "",
    listing: Listing | None = None,
) -> Listing:
    """Store validated values: a new listing of `account` at `uri` (a local one, given
    `base_url` instead, at `local_uri(base_url, id)`), or new values for `listing`."""
    if listing is None:
        listing = Listing(id=new_id(), account_id=account.id, uri=uri)
        listing.uri = uri or local_uri(base_url, listing.id)
        session.add(listing)
    else:
        listing.updated_at = utcnow()
    for name, value in vars(values).items():
        if name not in ("categories", "languages", "translations"):
            setattr(listing, name, value)
    listing.category_codes = " ".join(values.categories)
    listing.language_tags = " ".join(values.languages)
    listing.translation_list = [asdict(t) for t in values.translations]
    translated = [text for t in values.translations for text in (t.name, t.summary)]
    listing.search_text = search_text(
        values.name, values.organisation, values.city, values.region, values.summary, *translated
    )
    await session.flush()
    for table in (ListingCategory, ListingLanguage):
        await session.execute(delete(table).where(table.listing_id == listing.id))
    session.add_all(ListingCategory(listing_id=listing.id, code=c) for c in values.categories)
    session.add_all(
        ListingLanguage(listing_id=listing.id, tag=t, language=primary(t)) for t in values.languages
    )
    await session.flush()
    return listing


def local_uri(base_url: str, listing_id: int) -> str:
    """The id of a listing published here."""
    return f"{base_url}/directory/{listing_id}"


async def get(session: AsyncSession, listing_id: int) -> Listing | None:
    """A listing by id."""
    return await session.get(Listing, listing_id)


async def get_by_uri(session: AsyncSession, uri: str) -> Listing | None:
    """A listing by its ActivityPub id."""
    return await session.scalar(select(Listing).where(Listing.uri == uri))


async def of_account(session: AsyncSession, account: Account) -> list[Listing]:
    """Every listing an organisation publishes, oldest first."""
    query = select(Listing).where(Listing.account_id == account.id).order_by(Listing.id)
    return list(await session.scalars(query))


async def remove(session: AsyncSession, listing: Listing) -> None:
    """Delete a listing with its category and language rows."""
    for table in (ListingCategory, ListingLanguage):
        await session.execute(delete(table).where(table.listing_id == listing.id))
    await session.delete(listing)
    await session.flush()


async def remove_of_accounts(
    session: AsyncSession, accounts: Select[int], *, country: str | None = None
) -> None:
    """Delete every listing (about `country`, if given) of the accounts the query selects
    (a suspended domain's)."""
    chosen: ColumnElement[bool] = Listing.account_id.in_(accounts)
    if country is not None:
        chosen = chosen & (Listing.country == country)
    listings = select(Listing.id).where(chosen)
    for table in (ListingCategory, ListingLanguage):
        await session.execute(delete(table).where(table.listing_id.in_(listings)))
    await session.execute(delete(Listing).where(chosen))


@dataclass(frozen=True)
class Query:
    """What a directory search asks for; empty strings filter nothing."""

    country: str = ""
    category: str = ""
    language: str = ""
    text: str = ""


async def search(
    session: AsyncSession, query: Query, window: Window
) -> list[tuple[Listing, Account]]:
    """Listings matching every filter, newest first, each with its origin organisation."""
    found = select(Listing, Account).join(Account, Account.id == Listing.account_id)
    found = found.where(Account.suspended_at.is_(None), Account.deleted_at.is_(None))
    words = await matching(session, Listing.id, Listing.search_text, query.text)
    terms = filter_terms(query)
    if len(terms) >= 2 and session.get_bind().dialect.name == "postgresql":
        # PostgreSQL intersects the filters' lists in one GIN index (migration 0064): a
        # rare combination costs ~1 ms where joining the category and language rows took
        # 20-30 (and a word's trigram index can join that bitmap too).
        filters = func.listing_filters(
            Listing.country, Listing.category_codes, Listing.language_tags, type_=ARRAY(Text)
        )
        # `@>` by name: the PostgreSQL dialect's ARRAY, which has `contains`, is not imported on
        # SQLite (tests/node/test_startup_imports.py).
        asked = cast(terms, ARRAY(Text))
        found = found.where(filters.op("@>", is_comparison=True)(asked), *words)
        return await _page(session, found, window)
    order: InstrumentedAttribute[int] = Listing.id
    if query.country:
        found = found.where(Listing.country == query.country.upper())
    elif query.category:
        # Without a country the category's rows are walked newest first along their
        # `(code, listing_id)` index, each joined to its listing: bounded by the category,
        # no sort (SQLite at 100k: 3.5 -> 0.3 CPU-ms where it read the category's ids into
        # a list first).
        chosen = (ListingCategory.listing_id == Listing.id) & (
            ListingCategory.code == query.category
        )
        found = found.join(ListingCategory, chosen)
        order = ListingCategory.listing_id
    rows_of: list[tuple[InstrumentedAttribute[int], ColumnElement[bool]]] = []
    if query.category and query.country:
        rows_of.append((ListingCategory.listing_id, ListingCategory.code == query.category))
    if query.language:
        tag = normal_tag(query.language)
        column = ListingLanguage.tag if "-" in tag else ListingLanguage.language
        rows_of.append((ListingLanguage.listing_id, column == (tag if "-" in tag else tag.lower())))
    # With a country (or a category) its listings are walked newest first, each probed for
    # its category or language row: bounded by the country, and no sort (5x faster on SQLite
    # with three filters; with a common word too, 9.4-10.1 -> 7.8-8.7 ms at 100k, where
    # reading the category's ids and sorting the matches was the worst shape). A language
    # alone could have that walk cross the whole directory for a rare value, so its
    # matching ids are read as a set, bounded by the value's rows (or the words' matches).
    probe = bool(query.country or query.category)
    for listing_id, wanted in rows_of:
        if probe:
            found = found.where(select(listing_id).where(wanted, listing_id == Listing.id).exists())
        else:
            found = found.where(Listing.id.in_(select(listing_id).where(wanted)))
    return await _page(session, found.where(*words), window, order)


def filter_terms(query: Query) -> list[str]:
    """The country, category and language asked for, as `listing_filters` (0064) names
    them: `k:RO`, `c:housing`, and `t:pt-BR` for a full tag or `l:pt` for a language."""
    terms = [f"k:{query.country.upper()}"] if query.country else []
    if query.category:
        terms.append(f"c:{query.category}")
    if query.language:
        tag = normal_tag(query.language)
        terms.append(f"t:{tag}" if "-" in tag else f"l:{tag.lower()}")
    return terms


async def _page(
    session: AsyncSession,
    found: Select[Listing, Account],
    window: Window,
    order: InstrumentedAttribute[int] = Listing.id,
) -> list[tuple[Listing, Account]]:
    """The window of `found`, read along `order` (the listing's id, or a column equal to it)."""
    rows = [
        (listing, account) for listing, account in await session.execute(window.apply(found, order))
    ]
    return window.newest_first(rows, key=lambda row: row[0].id)
