"""Country information pages: one per organisation, country and language, holding the current
revision. Local pages keep every revision's Markdown (`CountryRevision`); pages mirrored from
followed organisations keep only the sanitised HTML their origin sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    delete,
    false,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.country_fields import SECTION_NAMES, SECTIONS, CountryPageFields
from content.orm import Base, new_id, utcnow
from content.provenance import is_stale
from content.sanitize import clean_document_html, in_thread, render_markdown


class CountryPage(Base):
    """One language version of an organisation's page about a country. `uri` is the
    ActivityPub object that carries every language version of it; `account_id` the origin."""

    __tablename__ = "country_pages"
    __table_args__ = (
        UniqueConstraint("account_id", "country", "language"),
        Index("ix_country_pages_country_account_id", "country", "account_id"),
        Index("ix_country_pages_uri", "uri"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    # Each section as sanitised HTML (rendered from Markdown here, or as its origin sent it).
    legal_html: Mapped[str] = mapped_column(Text, default="")
    migration_html: Mapped[str] = mapped_column(Text, default="")
    health_html: Mapped[str] = mapped_column(Text, default="")
    work_html: Mapped[str] = mapped_column(Text, default="")
    contacts_html: Mapped[str] = mapped_column(Text, default="")
    # Sources, one a line: web addresses or citations, plain text.
    sources_text: Mapped[str] = mapped_column(Text, default="")
    last_reviewed: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(default=1)
    # A mirror's copy came with its origin's FEP-8b32 integrity proof, and it verified.
    origin_proven: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Other organisations' signed statements that they checked the page too, the same on
    # every language version (federation/vouches, as `Listing.vouches`).
    vouches: Mapped[list[dict[str, object]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def sources(self) -> list[str]:
        return [line for line in self.sources_text.split("\n") if line]

    def sections(self) -> list[tuple[str, str, str]]:
        """(field name, English heading, HTML) of each section that has text."""
        found = ((name, heading, getattr(self, f"{name}_html")) for name, heading in SECTIONS)
        return [section for section in found if section[2]]

    def stale(self, today: date) -> bool:
        """Not reviewed again for twelve months."""
        return is_stale(self.last_reviewed, today)


class CountryRevision(Base):
    """One saved version of a local country page, as its author wrote it in Markdown."""

    __tablename__ = "country_revisions"
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    page_id: Mapped[int] = mapped_column(ForeignKey("country_pages.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    author_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(String(255))
    legal: Mapped[str] = mapped_column(Text, default="")
    migration: Mapped[str] = mapped_column(Text, default="")
    health: Mapped[str] = mapped_column(Text, default="")
    work: Mapped[str] = mapped_column(Text, default="")
    contacts: Mapped[str] = mapped_column(Text, default="")
    sources_text: Mapped[str] = mapped_column(Text, default="")
    last_reviewed: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")

    def values(self, country: str, language: str) -> CountryPageFields:
        """The revision's fields, as the editor shows them."""
        return CountryPageFields(
            country=country,
            language=language,
            title=self.title,
            **{name: getattr(self, name) for name in SECTION_NAMES},
            sources=[line for line in self.sources_text.split("\n") if line],
            last_reviewed=self.last_reviewed,
        )


def local_uri(base_url: str, country: str, username: str) -> str:
    """The id of the object carrying an organisation's page about a country."""
    return f"{base_url}/countries/{country}/{username}"


async def save_revision(
    session: AsyncSession,
    organisation: Account,
    author: Account,
    values: CountryPageFields,
    uri: str,
) -> CountryPage:
    """A new revision of a local page from validated values (the page is made if new)."""
    page = await get(session, organisation, values.country, values.language)
    if page is None:
        page = CountryPage(
            id=new_id(), uri=uri, account_id=organisation.id, revision=0,
            country=values.country, language=values.language,
        )  # fmt: skip
        session.add(page)
    page.revision += 1
    # markdown-it is pure Python and slow on some shapes: large sections render off the loop.
    sections = values.sections().items()
    _apply(page, values, {name: await in_thread(render_markdown, text) for name, text in sections})
    session.add(
        CountryRevision(
            page_id=page.id,
            number=page.revision,
            author_id=author.id,
            author_name=author.username,
            title=values.title,
            **values.sections(),
            sources_text="\n".join(values.sources),
            last_reviewed=values.last_reviewed,
            note=values.note,
        )
    )
    await session.flush()
    return page


async def store_mirrored(
    session: AsyncSession,
    origin: Account,
    uri: str,
    values: CountryPageFields,
    revision: int,
    *,
    proven: bool,
) -> CountryPage:
    """A language version of a page mirrored from `origin`, its sections HTML as sent
    (sanitised again here); `proven` if it came with its origin's valid proof."""
    page = await get(session, origin, values.country, values.language)
    if page is None:
        page = CountryPage(
            uri=uri, account_id=origin.id, country=values.country, language=values.language
        )
        session.add(page)
    page.uri, page.revision, page.origin_proven = uri, revision, proven
    sections = values.sections().items()
    _apply(page, values, {k: await in_thread(clean_document_html, v) for k, v in sections})
    await session.flush()
    return page


def _apply(page: CountryPage, values: CountryPageFields, html: dict[str, str]) -> None:
    assert values.last_reviewed is not None, "validated values have a review date"
    page.title = values.title
    for name, markup in html.items():
        setattr(page, f"{name}_html", markup)
    page.sources_text = "\n".join(values.sources)
    page.last_reviewed = values.last_reviewed
    page.updated_at = utcnow()


async def get(
    session: AsyncSession, organisation: Account, country: str, language: str
) -> CountryPage | None:
    """An organisation's page about a country in one language."""
    return await session.scalar(
        select(CountryPage).where(
            CountryPage.account_id == organisation.id,
            CountryPage.country == country,
            CountryPage.language == language,
        )
    )


async def by_uri(session: AsyncSession, uri: str) -> list[CountryPage]:
    """Every language version carried by one object id."""
    query = select(CountryPage).where(CountryPage.uri == uri).order_by(CountryPage.language)
    return list(await session.scalars(query))


async def of_account(session: AsyncSession, account: Account) -> dict[str, list[CountryPage]]:
    """An organisation's pages by country, each country's language versions together."""
    query = select(CountryPage).where(CountryPage.account_id == account.id)
    found: dict[str, list[CountryPage]] = {}
    for page in await session.scalars(query.order_by(CountryPage.country, CountryPage.language)):
        found.setdefault(page.country, []).append(page)
    return found


# Pages of suspended or deleted organisations are not shown.
_SHOWN = (Account.suspended_at.is_(None), Account.deleted_at.is_(None))


async def for_country(session: AsyncSession, country: str) -> list[tuple[CountryPage, Account]]:
    """Every language version of every organisation's page about a country, with its origin
    (local organisations first)."""
    query = (
        select(CountryPage, Account)
        .join(Account, Account.id == CountryPage.account_id)
        .where(CountryPage.country == country, *_SHOWN)
        .order_by(Account.domain.is_not(None), Account.id, CountryPage.language)
    )
    return [(page, account) for page, account in await session.execute(query)]


async def countries(session: AsyncSession) -> list[tuple[str, int]]:
    """Each country that has information, with how many organisations wrote about it."""
    organisations = func.count(CountryPage.account_id.distinct())
    query = (
        select(CountryPage.country, organisations)
        .join(Account, Account.id == CountryPage.account_id)
        .where(*_SHOWN)
        .group_by(CountryPage.country)
        .order_by(CountryPage.country)
    )
    return [(country, count) for country, count in await session.execute(query)]


async def history(
    session: AsyncSession, organisation: Account, country: str
) -> list[tuple[CountryRevision, str]]:
    """Every revision of an organisation's page about a country in any language, newest
    first, with the revision's language."""
    query = (
        select(CountryRevision, CountryPage.language)
        .join(CountryPage, CountryPage.id == CountryRevision.page_id)
        .where(CountryPage.account_id == organisation.id, CountryPage.country == country)
        .order_by(CountryRevision.created_at.desc(), CountryRevision.id.desc())
    )
    return [(revision, language) for revision, language in await session.execute(query)]


async def current_revision(session: AsyncSession, page: CountryPage) -> CountryRevision | None:
    """The revision a local page shows."""
    return await session.scalar(
        select(CountryRevision).where(
            CountryRevision.page_id == page.id, CountryRevision.number == page.revision
        )
    )


async def forget_author(session: AsyncSession, account: Account) -> None:
    """An erased member's revisions keep their text but no longer name them."""
    await session.execute(
        update(CountryRevision)
        .where(CountryRevision.author_id == account.id)
        .values(author_id=None, author_name="")
    )


async def remove(session: AsyncSession, pages: list[CountryPage]) -> None:
    """Delete language versions with their revisions."""
    ids = [page.id for page in pages]
    await session.execute(delete(CountryRevision).where(CountryRevision.page_id.in_(ids)))
    await session.execute(delete(CountryPage).where(CountryPage.id.in_(ids)))


async def remove_of_accounts(
    session: AsyncSession, accounts: Select[int], *, country: str | None = None
) -> None:
    """Delete every page (about `country`, if given) of the accounts the query selects (a
    suspended domain's)."""
    chosen: ColumnElement[bool] = CountryPage.account_id.in_(accounts)
    if country is not None:
        chosen = chosen & (CountryPage.country == country)
    pages = select(CountryPage.id).where(chosen)
    await session.execute(delete(CountryRevision).where(CountryRevision.page_id.in_(pages)))
    await session.execute(delete(CountryPage).where(chosen))
