"""Corrections readers suggest to a listing or a country-page section, and members' accounts
of how a listed service treated them (an "experience": a suggestion of its own kind, with a
rating, for the organisation's staff alone).

Two tables, one for each side. `Correction` is the owning organisation's review queue: what
is wrong and the reader's words, the server that sent it (when it came through federation,
for the answer) and, only if she chose to sign, her actor id; never who she is otherwise.
`SentCorrection` is kept by the reader's node alone: which of its members sent which
correction id, so the answer reaches her; it never leaves the node."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.countries import CountryPage
from content.country_fields import SECTION_NAMES
from content.directory import Listing
from content.domain_match import on_any
from content.interface_text import N_
from content.orm import Base, new_id, utcnow

MAX_TEXT = 1000  # characters of the reader's own words
QUEUE_SIZE = 200  # suggestions a queue page shows
ANSWERS_SHOWN = 20  # answers a member's notifications page shows


class Kind(StrEnum):
    """What is wrong, as the form offers it."""

    CLOSED = "closed"
    CONTACT = "contact"
    HOURS = "hours"
    COSTS = "costs"
    UNSAFE = "unsafe"
    OTHER = "other"
    EXPERIENCE = "experience"  # how the service treated a member: never a visitor's


KIND_LABELS: dict[Kind, str] = {
    Kind.CLOSED: N_("It has closed"),
    Kind.CONTACT: N_("The contact details are wrong"),
    Kind.HOURS: N_("The opening hours are wrong"),
    Kind.COSTS: N_("The costs or the papers needed are wrong"),
    Kind.UNSAFE: N_("It is not safe for sex workers any more"),
    Kind.OTHER: N_("Something else"),
    Kind.EXPERIENCE: N_("How the service treated a member"),
}
WRONG = [(kind, label) for kind, label in KIND_LABELS.items() if kind != Kind.EXPERIENCE]


class Rating(StrEnum):
    """The short scale of an experience."""

    GOOD = "good"
    MIXED = "mixed"
    BAD = "bad"


RATING_LABELS: dict[Rating, str] = {
    Rating.GOOD: N_("Well"),
    Rating.MIXED: N_("Neither well nor badly"),
    Rating.BAD: N_("Badly"),
}


class State(StrEnum):
    """Where a suggestion stands in the queue; all but OPEN are outcomes the reader hears."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NEEDS_CALL = "needs-call"


class CorrectionError(ValueError):
    """The suggestion cannot be filed; the message is fit to show."""


class Correction(Base):
    """One suggestion in an organisation's queue, about a listing or a country-page section
    of its own. `uri` is the correction's id (the sender node's, for one that federated);
    `sender_id` the remote server's actor that sent it, None when it was made here."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_organisation_id_state", "organisation_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    country_page_id: Mapped[int | None] = mapped_column(
        ForeignKey("country_pages.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16))
    rating: Mapped[str] = mapped_column(String(8), default="")  # an experience's
    text: Mapped[str] = mapped_column(Text, default="")
    signed_by: Mapped[str] = mapped_column(String(2048), default="")
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default=State.OPEN)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SentCorrection(Base):
    """A correction a member of this node sent: kept here only, for her answer. `subject`
    is what she corrected as she saw it, `path` the page it is on here."""

    __tablename__ = "sent_corrections"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    organisation_uri: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(16), default="")
    subject: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Checked:
    """A suggestion's fields once checked: `section` a country page's only, `rating` an
    experience's only."""

    kind: Kind
    text: str
    section: str = ""
    rating: Rating | None = None


def checked(kind: str, text: str, section: str, rating: str = "", *, page: bool) -> Checked:
    """The checked fields of a suggestion (the text stripped, at most MAX_TEXT), or
    CorrectionError. An experience is about a listing, with a rating."""
    try:
        found = Kind(kind)
    except ValueError:
        raise CorrectionError(N_("Choose what is wrong.")) from None
    if page and section not in SECTION_NAMES:
        raise CorrectionError(N_("Choose the section of the page that is wrong."))
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise CorrectionError(N_("Say it in at most 1000 characters."))
    if found != Kind.EXPERIENCE:
        return Checked(found, text, section if page else "")
    if page:
        raise CorrectionError(N_("Only a listed service can be rated."))
    try:
        return Checked(found, text, rating=Rating(rating))
    except ValueError:
        raise CorrectionError(N_("Choose how the service treated you.")) from None


def file(
    session: AsyncSession,
    *,
    uri: str,
    organisation: Account,
    target: Listing | CountryPage,
    suggestion: Checked,
    signed_by: str = "",
    sender: Account | None = None,
) -> Correction:
    """Put a suggestion in the organisation's queue, in the caller's transaction."""
    correction = Correction(
        uri=uri,
        organisation_id=organisation.id,
        listing_id=target.id if isinstance(target, Listing) else None,
        country_page_id=target.id if isinstance(target, CountryPage) else None,
        section=suggestion.section,
        kind=suggestion.kind,
        rating=suggestion.rating or "",
        text=suggestion.text,
        signed_by=signed_by,
        sender_id=sender.id if sender else None,
    )
    session.add(correction)
    return correction


async def open_from_site(session: AsyncSession, organisation: Account, site: str) -> int:
    """How many of the organisation's suggestions no one has looked at yet came through
    servers of one site (a registrable domain, its sub-domains and ports included)."""
    query = (
        select(func.count())
        .select_from(Correction)
        .join(Account, Account.id == Correction.sender_id)
        .where(
            Correction.organisation_id == organisation.id,
            Correction.state == State.OPEN,
            on_any(Account.domain, [site]),
        )
    )
    return int(await session.scalar(query) or 0)


async def exists(session: AsyncSession, uri: str) -> bool:
    """Whether a suggestion with this id is filed already (a delivery sent twice)."""
    return await session.scalar(select(Correction.id).where(Correction.uri == uri)) is not None


async def queue(
    session: AsyncSession, organisation: Account, states: Sequence[State]
) -> list[tuple[Correction, Listing | None, CountryPage | None]]:
    """The organisation's suggestions in `states`, oldest first, each with its object."""
    rows = await session.execute(
        select(Correction, Listing, CountryPage)
        .outerjoin(Listing, Listing.id == Correction.listing_id)
        .outerjoin(CountryPage, CountryPage.id == Correction.country_page_id)
        .where(Correction.organisation_id == organisation.id, Correction.state.in_(states))
        .order_by(Correction.created_at, Correction.id)
        .limit(QUEUE_SIZE)
    )
    return [(correction, listing, page) for correction, listing, page in rows]


async def get(session: AsyncSession, organisation: Account, correction_id: int) -> Correction:
    """One of the organisation's suggestions, or LookupError."""
    found = await session.get(Correction, correction_id)
    if found is None or found.organisation_id != organisation.id:
        raise LookupError(correction_id)
    return found


def decide(correction: Correction, state: State, reason: str) -> None:
    """Record the staff's outcome (the caller audits it and tells the sender)."""
    correction.state = state
    correction.reason = reason.strip()[:MAX_TEXT]
    correction.decided_at = utcnow()


def remember_sent(
    session: AsyncSession,
    *,
    uri: str,
    member: Account,
    organisation_uri: str,
    kind: Kind,
    subject: str,
    path: str,
) -> None:
    """Keep which member sent correction `uri`, so she hears its outcome."""
    session.add(
        SentCorrection(
            uri=uri,
            account_id=member.id,
            organisation_uri=organisation_uri,
            kind=kind,
            subject=subject[:255],
            path=path[:255],
        )
    )


async def sent(session: AsyncSession, uri: str) -> SentCorrection | None:
    """The member's record of correction `uri`, if one of this node's members sent it."""
    return await session.scalar(select(SentCorrection).where(SentCorrection.uri == uri))


def answer(sent: SentCorrection, outcome: State, reason: str) -> None:
    """Record the outcome the organisation gave (the latest one counts)."""
    sent.outcome = outcome
    sent.reason = reason.strip()[:MAX_TEXT]
    sent.answered_at = utcnow()


async def answers(session: AsyncSession, member: Account) -> Sequence[SentCorrection]:
    """The member's answered corrections, newest answer first."""
    rows = await session.scalars(
        select(SentCorrection)
        .where(SentCorrection.account_id == member.id, SentCorrection.answered_at.is_not(None))
        .order_by(SentCorrection.answered_at.desc())
        .limit(ANSWERS_SHOWN)
    )
    return rows.all()


async def forget_member(session: AsyncSession, member: Account) -> None:
    """An erased member: which corrections she sent goes, and her name leaves those she
    signed here (the suggestions stay, unsigned, for the staff to act on)."""
    await session.execute(delete(SentCorrection).where(SentCorrection.account_id == member.id))
    await session.execute(
        update(Correction).where(Correction.signed_by == member.uri).values(signed_by="")
    )
