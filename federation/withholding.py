"""What may no longer go to the remote accounts a moderator suspended, though it was queued
for them before: a worker asks at each claim, and for what it is still sending once the
policy's generation moved (a suspension moves it: migration 0067; `policy_recheck`).

A delivery's addressing read its recipients as they were when it was queued: a post queued
for an account as she was suspended, or waiting for her server to answer again, still went
to her. Now a delivery is withheld (ended refused) when it is for suspended accounts alone:
sent to the own inbox of one of them, or to a shared inbox with every account its activity
addresses (to, cc, bto, bcc, audience) suspended, as a direct message to her is. What also
addresses a collection (followers, the public) or someone else still goes, as do take-backs
and refusals (TO_SUSPENDED).

Her own inbox counts wherever it is, unless an account that is not suspended, of the server
the inbox is on, uses it as its inbox or shared inbox: an actor document names any inbox,
and a hostile account naming another server's shared inbox as hers had every delivery to
that server refused once suspended (attack13), as had a server's other accounts where one
inbox serves them all.
Counted on her server only, an inbox she had moved to another host of hers was not
withheld (attack14). A suspended account's inboxes are kept as stored
(`accounts._copy_actor`): one she changed by publishing another actor document had her whole
queue sent to the new spelling (attack13).

Only the deliveries at hand are looked up (their inboxes and addressees, by index): reading
every suspended account at each claim took 61-75 ms for 50,000 of them (attack13), and a
copy kept between generations refused what went to accounts learnt since (attack14). An
activity addressing more than MAX_ADDRESSED ids is for others too, and one addressing what
is not a usable URI (a NUL in it stopped every claim on PostgreSQL, attack15) is taken as
addressing someone else: neither is looked up."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.hostnames import InvalidHost, host_of
from content.accounts import Account
from content.orm import in_one_parameter
from federation.delivery import Claimed

# What still goes to a suspended account: her follow's Reject (the suspension sends it),
# deletions, undoings, blocks, and a moderator's report about her to her server.
TO_SUSPENDED = frozenset({"Delete", "Reject", "Undo", "Block", "Flag"})
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
MAX_ADDRESSED = 20  # a direct message's recipients, at most, looked up
SOMEONE_ELSE = ""  # what an activity addressing many, or what is no URI, stands for
ACCOUNTS = cast(Table, Account.__table__)


async def withheld(session: AsyncSession, jobs: Collection[Claimed]) -> set[int]:
    """The ids of those `jobs` that are for suspended remote accounts alone (above)."""
    if not jobs:
        return set()
    theirs = await _suspended_own_inboxes(session, {job.inbox for job in jobs})
    servers = await _with_suspended(session, {job.host for job in jobs})
    # Only bodies going to her own inbox or to a server a suspended account is on are read:
    # a member's block moves the policy on too, and reading every body still queued at each
    # move held the event loop for ~2 s with 51,000 queued (attack16).
    looked = [job for job in jobs if job.inbox in theirs or job.host in servers]
    read = {body: _read(body) for body in {job.body for job in looked}}  # a fan-out: one
    addressed = {job: read[job.body][1] for job in looked if read[job.body][0] not in TO_SUSPENDED}
    if not addressed:
        return set()
    addressees = set().union(*set(addressed.values())) - {SOMEONE_ELSE}
    suspended = await _of_suspended(session, ACCOUNTS.c.uri, addressees) if addressees else set()
    return {
        job.id
        for job, names in addressed.items()
        if job.inbox in theirs or (bool(names) and names <= suspended)
    }


async def _suspended_own_inboxes(session: AsyncSession, inboxes: Collection[str]) -> set[str]:
    """Those of `inboxes` that are a suspended remote account's own, and that no account of
    the inbox's server that is not suspended uses (as its inbox or shared inbox)."""
    c = ACCOUNTS.c
    theirs = await _of_suspended(session, c.inbox_uri, inboxes)
    if not theirs:
        return theirs
    unsuspended = c.suspended_at.is_(None)
    as_inbox, as_shared = (
        select(column, c.domain).where(in_one_parameter(session, column, theirs), unsuspended)
        for column in (c.inbox_uri, c.shared_inbox_uri)
    )
    # Only an account of the server the inbox is on: one elsewhere naming her inbox as its
    # shared inbox would have her queue sent to her all the same (attack15).
    others = await session.execute(as_inbox.union(as_shared))
    used = {inbox for inbox, domain in others if _on(inbox, domain)}
    return theirs - used


async def _with_suspended(session: AsyncSession, hosts: Collection[str]) -> set[str]:
    """Those of `hosts` that a suspended remote account is on (by the domain's index)."""
    c = ACCOUNTS.c
    found = await session.scalars(
        select(c.domain)
        .where(in_one_parameter(session, c.domain, hosts), c.suspended_at.is_not(None))
        .distinct()
    )
    return set(found)


async def _of_suspended(
    session: AsyncSession, column: ColumnElement[str], values: Collection[str]
) -> set[str]:
    """Those of `values` that `column` holds for a suspended remote account (by the
    column's index: with `domain IS NOT NULL` in the statement, PostgreSQL chose the index
    of remote accounts on a fresh table, 218 ms a claim: attack15)."""
    found = await session.execute(
        select(column, ACCOUNTS.c.domain).where(
            in_one_parameter(session, column, values), ACCOUNTS.c.suspended_at.is_not(None)
        )
    )
    return {value for value, domain in found if domain is not None}


def _on(uri: str, host: str | None) -> bool:
    try:
        return host_of(uri) == host
    except InvalidHost:
        return False


def _usable(uri: str) -> bool:
    """Whether `uri` is an http(s) URI a database can be asked about."""
    try:
        uri.encode("utf-8")
        host_of(uri)
    except (UnicodeEncodeError, InvalidHost):
        return False
    return True


def _read(body: bytes) -> tuple[str | None, frozenset[str]]:
    """An activity's type (None if the body is not one: forgotten, b"") and the ids it
    addresses (SOMEONE_ELSE for many, or for what is no usable URI)."""
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        return None, frozenset()
    if not isinstance(activity, dict):
        return None, frozenset()
    addressed: set[str] = set()
    for field in ADDRESSING:
        value = activity.get(field)
        for each in value if isinstance(value, list) else [value]:
            if isinstance(each, str):
                addressed.add(each if _usable(each) else SOMEONE_ELSE)
            if len(addressed) > MAX_ADDRESSED:
                return _kind(activity), frozenset({SOMEONE_ELSE})
    return _kind(activity), frozenset(addressed)


def _kind(activity: dict[str, object]) -> str | None:
    kind = activity.get("type")
    return kind if isinstance(kind, str) else None
