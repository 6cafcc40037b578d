"""`harbour country-trust ...`: staff name the organisations they trust for a country; once
one is named, only named organisations publish listings and country pages about it here."""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import ActorType
from content import accounts, country_trust
from content.accounts import Account
from content.country_names import code_of
from node.commands import CommandError, session_for
from node.settings import Settings


async def add(settings: Settings, args: argparse.Namespace) -> None:
    """Trust an organisation for a country; copies about it from others are dropped."""
    country = _country(args.country)
    async with session_for(settings) as session:
        organisation = await _organisation(session, args.handle)
        await country_trust.name(session, country, organisation)
    print(f"{args.handle} is trusted for {country}; only named organisations publish about it.")


async def remove(settings: Settings, args: argparse.Namespace) -> None:
    """Stop trusting an organisation for a country."""
    country = _country(args.country)
    async with session_for(settings) as session:
        organisation = await _organisation(session, args.handle)
        if not await country_trust.unname(session, country, organisation):
            raise CommandError(f"{args.handle} is not named for {country}")
    print(f"{args.handle} is no longer named for {country}.")


async def list_named(settings: Settings, _args: argparse.Namespace) -> None:
    """Print every country with the organisations named for it."""
    async with session_for(settings) as session:
        named = await country_trust.all_named(session)
    if not named:
        print("No organisation is named for any country: every followed organisation publishes.")
    for country, organisation in named:
        print(f"{country}  {organisation.handle}")


def _country(text: str) -> str:
    code = code_of(text)
    if not code:
        raise CommandError(f"{text!r} is not a country (an ISO 3166-1 code or a name)")
    return code


async def _organisation(session: AsyncSession, handle: str) -> Account:
    username, _, domain = handle.removeprefix("@").partition("@")
    found = await accounts.get_remote_by_handle(session, username, domain) if domain else None
    if found is None or found.actor_type != ActorType.ORGANIZATION:
        raise CommandError(f"{handle} is no organisation known here: follow it first (name@server)")
    return found
