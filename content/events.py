"""Events an organisation announces (consultations, outreach hours, workshops): the
`Event` table (local events and copies mirrored from followed organisations, `account_id`
being the origin organisation actor, as listings) and `EventAttendance`, who said she is
going. Times are kept in UTC with the event's IANA time zone beside them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Select, String, Text, delete, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account, not_among, not_on_any
from content.event_fields import EventFields, zone_of
from content.orm import Base, new_id, utcnow
from content.sanitize import render_plain_text


class Event(Base):
    """One event. `description_html` is what pages show: staff's plain text rendered here,
    or another server's HTML sanitised on arrival; `description` is staff's text (for the
    edit form) or the remote text without markup."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(64), default="en")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    place_name: Mapped[str] = mapped_column(String(255), default="")
    place_address: Mapped[str] = mapped_column(String(255), default="")
    online_url: Mapped[str] = mapped_column(String(2048), default="")
    audience: Mapped[str] = mapped_column(String(255), default="")
    registration: Mapped[str] = mapped_column(Text, default="")
    # A mirror's copy came with its origin's FEP-8b32 integrity proof, and it verified.
    origin_proven: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone) or ZoneInfo("UTC")

    def values(self) -> EventFields:
        """The event as form values (wall times in its own zone)."""
        zone = self.zone
        return EventFields(
            title=self.title,
            description=self.description,
            language=self.language,
            starts=self.starts_at.astimezone(zone).replace(tzinfo=None),
            ends=self.ends_at.astimezone(zone).replace(tzinfo=None),
            time_zone=self.time_zone,
            place_name=self.place_name,
            place_address=self.place_address,
            online_url=self.online_url,
            audience=self.audience,
            registration=self.registration,
        )


class EventAttendance(Base):
    """A member who said she is going (a `Join`): on the organiser's node, local and remote
    members; on a member's own node, her own word about a mirrored event, so she can take
    it back. Shown only to the organiser's staff and to the member herself."""

    __tablename__ = "event_attendance"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The Join's id, as its sender wrote it (a Leave may name it).
    join_uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def local_uri(base_url: str, event_id: int) -> str:
    """The id of an event published here."""
    return f"{base_url}/events/{event_id}"


async def save(
    session: AsyncSession,
    organisation: Account,
    values: EventFields,
    *,
    event: Event | None = None,
    uri: str | None = None,
    base_url: str | None = None,
    description_html: str | None = None,
) -> Event:
    """Store validated values as a new event or over `event`. A local event's description
    is staff's plain text, rendered here; a mirrored one brings its sanitised HTML."""
    if event is None:
        event = Event(id=new_id(), account_id=organisation.id, created_at=utcnow())
        event.uri = uri or local_uri(str(base_url), event.id)
        session.add(event)
    event.title = values.title
    event.description = values.description
    if description_html is None:
        description_html = render_plain_text(values.description, tag_url=None)
    event.description_html = description_html
    event.language = values.language
    event.starts_at, event.ends_at = values.starts_at, values.ends_at
    event.time_zone = values.time_zone
    for name in ("place_name", "place_address", "online_url", "audience", "registration"):
        setattr(event, name, getattr(values, name))
    event.updated_at = utcnow()
    await session.flush()
    return event


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def get_by_uri(session: AsyncSession, uri: str) -> Event | None:
    """An event by its ActivityPub id."""
    return await session.scalar(select(Event).where(Event.uri == uri))


async def of_account(session: AsyncSession, account: Account) -> list[Event]:
    """Every event an organisation publishes that has not ended, oldest first."""
    query = select(Event).where(Event.account_id == account.id, Event.ends_at > utcnow())
    return list(await session.scalars(query.order_by(Event.id)))


async def upcoming(
    session: AsyncSession,
    *,
    limit: int = 100,
    language: str | None = None,
    exclude_domains: Collection[str] = (),
    exclude_hosts: Select[str] | None = None,
) -> list[tuple[Event, Account]]:
    """Events not yet over, soonest first, with their organisations (live ones, not
    silenced, on none of `exclude_domains` nor the servers `exclude_hosts` selects); in
    `language` (its primary subtag) when given."""
    found = (
        select(Event, Account)
        .join(Account, Account.id == Event.account_id)
        .where(Event.ends_at > utcnow(), Account.suspended_at.is_(None))
        .where(Account.deleted_at.is_(None), Account.silenced_at.is_(None))
        .where(not_on_any(Account.domain, exclude_domains))
        .where(not_among(Account.domain, exclude_hosts))
    )
    if language:
        primary = language.split("-")[0].lower()
        found = found.where(
            (func.lower(Event.language) == primary)
            | func.lower(Event.language).startswith(primary + "-")
        )
    rows = await session.execute(found.order_by(Event.starts_at, Event.id).limit(limit))
    return [(event, account) for event, account in rows]


async def remove(session: AsyncSession, event: Event) -> None:
    """Delete an event (who was going goes with it)."""
    await session.execute(delete(EventAttendance).where(EventAttendance.event_id == event.id))
    await session.delete(event)
    await session.flush()


async def remove_of_accounts(session: AsyncSession, accounts: Select[int]) -> None:
    """Delete every event of the accounts the query selects (a suspended domain's, an
    organisation nobody here follows any more)."""
    chosen = select(Event.id).where(Event.account_id.in_(accounts))
    await session.execute(delete(EventAttendance).where(EventAttendance.event_id.in_(chosen)))
    await session.execute(delete(Event).where(Event.account_id.in_(accounts)))


async def is_going(session: AsyncSession, event: Event, account: Account) -> bool:
    """Whether the member said she is going."""
    found = await session.get(EventAttendance, (event.id, account.id))
    return found is not None


async def attend(
    session: AsyncSession, event: Event, account: Account, join_uri: str | None = None
) -> bool:
    """Record that `account` is going; False if she had said so already."""
    if await is_going(session, event, account):
        return False
    session.add(EventAttendance(event_id=event.id, account_id=account.id, join_uri=join_uri))
    await session.flush()
    return True


async def leave(session: AsyncSession, event: Event, account: Account) -> bool:
    """Forget that `account` is going; False if she had not said so."""
    found = await session.get(EventAttendance, (event.id, account.id))
    if found is None:
        return False
    await session.delete(found)
    await session.flush()
    return True


async def attendees(session: AsyncSession, event: Event) -> list[Account]:
    """Who said she is going, in the order they said it (for the organiser's staff only)."""
    query = (
        select(Account)
        .join(EventAttendance, EventAttendance.account_id == Account.id)
        .where(EventAttendance.event_id == event.id)
        .order_by(EventAttendance.created_at, Account.id)
    )
    return list(await session.scalars(query))
