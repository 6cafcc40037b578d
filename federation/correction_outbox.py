"""Corrections leaving a reader's node, and the organisation's answers leaving the owner's.

A correction to this node's own object goes straight into its organisation's queue; one to a
mirrored object is offered to the owning organisation by this node's instance actor
(`correction_wire`), never by the member. Which member sent which correction id is kept here
(`content.corrections.SentCorrection`), so the answer reaches her and nobody else learns it."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts, corrections
from content.accounts import Account
from content.corrections import Checked, Correction, CorrectionError, Kind, State
from content.countries import CountryPage
from content.directory import Listing
from content.interface_text import N_
from content.orm import new_id
from federation import addressing, correction_wire, delivery
from federation.context import Federation
from moderation import audit


async def suggest(
    fed: Federation,
    session: AsyncSession,
    *,
    target: Listing | CountryPage,
    suggestion: Checked,
    member: Account | None = None,
    signed: bool = False,
    subject: str = "",
    path: str = "",
) -> str:
    """File a correction to `target` with its organisation (here, or through federation) in
    the caller's transaction; a member's is remembered for her answer. Returns its id."""
    if suggestion.kind == Kind.EXPERIENCE and member is None:
        raise CorrectionError(N_("Sign in to tell the organisation how you were treated."))
    owner = await session.get(Account, target.account_id)
    if owner is None or owner.is_gone:
        raise CorrectionError(N_("The organisation that published this is gone."))
    uri = f"{fed.base_url}/corrections/{secrets.token_urlsafe(18)}"
    signed_by = member.uri if member is not None and signed else ""
    if owner.is_local:
        corrections.file(
            session, uri=uri, organisation=owner, target=target, suggestion=suggestion,
            signed_by=signed_by,
        )  # fmt: skip
    else:
        await _offer(fed, session, uri, owner, target, suggestion, signed_by)
    if member is not None:
        corrections.remember_sent(
            session, uri=uri, member=member, organisation_uri=owner.uri, kind=suggestion.kind,
            subject=subject, path=path,
        )  # fmt: skip
    return uri


async def _offer(
    fed: Federation,
    session: AsyncSession,
    uri: str,
    owner: Account,
    target: Listing | CountryPage,
    suggestion: Checked,
    signed_by: str,
) -> None:
    instance = await accounts.instance_actor(session)
    inboxes = await addressing.for_account(fed, session, owner)
    if instance is None or not inboxes:
        raise CorrectionError(N_("The organisation's server cannot be reached from here."))
    activity = correction_wire.offer(
        uri=uri,
        instance_uri=instance.uri,
        organisation_uri=owner.uri,
        object_uri=target.uri,
        suggestion=suggestion,
        signed_by=signed_by,
        language=target.language if isinstance(target, CountryPage) else "",
    )
    await delivery.enqueue(session, activity, instance.id, inboxes)


async def decide(
    fed: Federation,
    session: AsyncSession,
    *,
    staff: Account,
    organisation: Account,
    correction: Correction,
    outcome: State,
    reason: str = "",
) -> None:
    """Staff's outcome for a suggestion, audited, told to whoever sent it: the member here,
    or the server that offered it (which tells its member)."""
    corrections.decide(correction, outcome, reason)
    audit.record(session, staff, f"correction.{outcome}", correction.uri, correction.reason)
    if correction.sender_id is None:
        if (sent := await corrections.sent(session, correction.uri)) is not None:
            corrections.answer(sent, outcome, correction.reason)
        return
    sender = await session.get(Account, correction.sender_id)
    if sender is None:
        return
    activity = correction_wire.answer(
        uri=f"{organisation.uri}#corrections/{new_id()}",
        organisation_uri=organisation.uri,
        correction_uri=correction.uri,
        sender_uri=sender.uri,
        outcome=outcome,
        reason=correction.reason,
    )
    inboxes = await addressing.for_account(fed, session, sender)
    await delivery.enqueue(session, activity, organisation.id, inboxes)
