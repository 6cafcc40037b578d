"""`harbour group ...`: create discussion groups and name their moderators."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from activitypub import generate_keypair
from content import groups
from content.groups import GroupVisibility
from federation import group_outbox
from federation.outbox import ActionError
from moderation import audit
from node.commands import CommandError, local_account, session_for
from node.settings import Settings


def add_parser(verbs: Any, run: Any) -> None:
    """The `group` verb and its actions; `run` wraps each coroutine for argparse."""
    group = verbs.add_parser("group", help="discussion groups").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_ = group.add_parser("create", help="create a discussion group")
    create_.add_argument("name", help="its username: the group is NAME@this-domain")
    create_.add_argument("--title", default="", help="the name people see")
    create_.add_argument("--description", default="", help="what the group is for")
    create_.add_argument(
        "--visibility",
        choices=[str(v) for v in GroupVisibility],
        default=GroupVisibility.PUBLIC,
        help="public, members (only members read it) or local (never federated)",
    )
    create_.add_argument("--moderator", help="a local member who moderates it")
    create_.add_argument("--language", default="", help="the language it talks in (en, ro)")
    create_.add_argument("--topics", default="", help="its topics, such as 'housing health'")
    create_.set_defaults(run=run(create))
    moderator = group.add_parser("moderator", help="group moderators").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = moderator.add_parser("add", help="let a local member moderate a group")
    add.add_argument("group")
    add.add_argument("username")
    add.set_defaults(run=run(moderator_add))


async def create(settings: Settings, args: argparse.Namespace) -> None:
    """Create a local group."""
    keypair = await asyncio.to_thread(generate_keypair)
    async with session_for(settings) as session:
        creator = await local_account(session, args.moderator) if args.moderator else None
        space = await groups.create(
            session,
            base_url=settings.base_url,
            username=args.name,
            keypair=keypair,
            title=args.title,
            visibility=GroupVisibility(args.visibility),
            description=args.description,
            moderator=creator,
            language=args.language,
            topics=args.topics,
        )
        audit.record(session, None, "group.create", space.account.uri, args.visibility)
    print(f"Created group {args.name}@{settings.domain} ({args.visibility}): {space.account.uri}")


async def moderator_add(settings: Settings, args: argparse.Namespace) -> None:
    """Let a local member moderate a local group."""
    async with session_for(settings) as session:
        space = await groups.get(session, await local_account(session, args.group))
        if space is None:
            raise CommandError(f"@{args.group} is not a group of this node")
        member = await local_account(session, args.username)
        try:
            await group_outbox.add_moderator(session, None, space, member)
        except ActionError as error:
            raise CommandError(str(error.args[0])) from None
    print(f"@{args.username} now moderates {args.group}.")
