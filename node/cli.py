"""The `harbour` command: set up, serve, and manage accounts and invites."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from node.settings import Settings


class _Later:
    """A command module imported only when one of its commands runs: `harbour serve` need
    not load the backup tools (pyrage, tarfile; ~2 MiB) or the list subscriptions."""

    def __init__(self, module: str) -> None:
        self.module = module

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            return getattr(importlib.import_module(self.module), name)(*args)

        return run


commands = _Later("node.commands")
backup_commands = _Later("node.backup_commands")
country_trust_commands = _Later("node.country_trust_commands")
database_commands = _Later("node.database_commands")
domain_commands = _Later("node.domain_commands")
trust_commands = _Later("node.trust_commands")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `harbour` console script.

    The collector is off while the command starts: start-up makes what lives as long as the
    process (modules, classes, mappers, the app) and collecting meanwhile freed almost nothing
    (~5,000 objects) for ~0.2 s of CPU a start (~250 collections, three of them full). A
    command turns it back on when it starts its work; `serve` and `worker` once set up
    (`commands.settle_heap`). This module imports the rest of Harbour only here, so that
    importing it starts nothing."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        _run(argv, collecting)
    except BrokenPipeError:
        # The reader went away (`harbour domain export | head`): stop quietly, as a Unix
        # tool killed by SIGPIPE does, with nothing left to flush into the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
    finally:
        if collecting:
            gc.enable()


def _run(argv: list[str] | None, collecting: bool) -> None:
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from node.commands import CommandError
    from node.database import error_reason
    from node.settings import ConfigError, Settings
    from node.sqlite_lock import SQLiteInUse

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = Settings.load(config_file=args.config).with_secret_key()
        if settings.test_quick_passwords:
            from content import passwords

            passwords.use_test_cost()
        if args.settles_heap:
            gc.freeze()  # what the imports made: `settle_heap` then walks only the set-up's
        elif collecting:
            gc.enable()
        args.run(settings, args)
    except ConfigError as error:
        _fail(f"configuration: {error}", status=2)
    # ValueError covers the content rules' errors: UsernameError, PasswordError, InviteError.
    except (CommandError, SQLiteInUse, ValueError) as error:
        _fail(str(error))
    except DBAPIError as error:  # unreachable, refused, or an option's value it refused
        _fail(f"cannot use the database: {error_reason(error)}")
    except ArgumentError as error:  # SQLAlchemy could not read the URL (`?port=abc`)
        _fail(f"the database URL: {error}")
    except KeyboardInterrupt:
        sys.exit(130)


def _fail(message: str, status: int = 1) -> NoReturn:
    print(f"harbour: {message}", file=sys.stderr)
    sys.exit(status)


def _async(
    action: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[[Settings, argparse.Namespace], None]:
    def run(settings: Settings, args: argparse.Namespace) -> None:
        asyncio.run(action(settings, args))

    return run


def _parser() -> argparse.ArgumentParser:
    from moderation import switches
    from node import group_commands

    parser = argparse.ArgumentParser(prog="harbour", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file (or HARBOUR_CONFIG)")
    parser.set_defaults(settles_heap=False)
    verbs = parser.add_subparsers(required=True, metavar="COMMAND")

    verbs.add_parser(
        "init", help="create or upgrade the database and the node's first accounts"
    ).set_defaults(run=commands.init)
    verbs.add_parser("migrate", help="apply database migrations only").set_defaults(
        run=commands.migrate_only
    )
    serve = verbs.add_parser("serve", help="set up if needed, then serve HTTP")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not deliver or apply activities here (run `harbour worker`)",
    )
    serve.set_defaults(run=commands.serve, settles_heap=True)
    verbs.add_parser(
        "worker", help="deliver and apply activities, without serving HTTP"
    ).set_defaults(run=_async(commands.worker), settles_heap=True)

    domain = verbs.add_parser(
        "domain", help="the federation allowlist and domain blocks"
    ).add_subparsers(required=True, metavar="ACTION")
    for action, helptext in [
        ("allow", "let a host federate (allowlist mode)"),
        ("disallow", "take a host off the allowlist"),
        ("unblock", "lift a domain block"),
    ]:
        sub = domain.add_parser(action, help=helptext)
        sub.add_argument("domain")
        sub.set_defaults(run=_async(getattr(domain_commands, action)))
    block = domain.add_parser("block", help="limit or cut off a domain and its sub-domains")
    block.add_argument("domain")
    block.add_argument(
        "--severity",
        choices=["suspend", "silence", "noop"],
        default="suspend",
        help="suspend: no federation, cached content purged (default); silence: out of public "
        "timelines, follows need approval; noop: only the reject options",
    )
    block.add_argument("--reject-media", action="store_true", help="keep no media from it")
    block.add_argument("--reject-reports", action="store_true", help="ignore its reports")
    block.add_argument("--public-comment", default="", help="the reason others may see")
    block.add_argument("--private-comment", default="", help="a note for moderators only")
    block.set_defaults(run=_async(domain_commands.block))
    domain.add_parser("list", help="list allowed hosts and blocks").set_defaults(
        run=_async(domain_commands.list_domains)
    )
    imports = domain.add_parser("import", help="apply a Mastodon domain-block CSV (- for stdin)")
    imports.add_argument("file")
    imports.add_argument("--dry-run", action="store_true", help="show the changes, apply none")
    imports.set_defaults(run=_async(domain_commands.import_csv))
    export = domain.add_parser("export", help="write the blocks as Mastodon's CSV")
    export.add_argument("file", nargs="?", default="-", help="a file, or - for stdout (default)")
    export.set_defaults(run=_async(domain_commands.export_csv))

    _trust_parser(verbs)
    _country_trust_parser(verbs)
    group_commands.add_parser(verbs, _async)
    _backup_parser(verbs)
    _database_parser(verbs)

    account = verbs.add_parser("account", help="manage local accounts").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = account.add_parser("create", help="create an account and print its password")
    create.add_argument("username")
    create.add_argument("--kind", choices=["person", "organisation", "group"], default="person")
    create.add_argument(
        "--role",
        choices=["member", "staff", "moderator", "admin"],
        default="member",
        help="role of a person's login",
    )
    create.set_defaults(run=_async(commands.account_create))
    for action, helptext in [
        ("suspend", "hide an account and block its login; reversible"),
        ("unsuspend", "lift a suspension"),
        ("password", "set a new random password and print it"),
        ("disable-2fa", "turn off a locked-out member's two-factor sign-in"),
        ("approve", "let an account waiting for approval sign in"),
        ("reject", "erase an account waiting for approval"),
    ]:
        sub = account.add_parser(action, help=helptext)
        sub.add_argument("username")
        if action != "password":
            sub.add_argument("--reason", default="", help="why, for the audit log")
        command = f"account_{action.replace('-', '_')}"
        sub.set_defaults(run=_async(getattr(commands, command)))
    delete = account.add_parser("delete", help="erase an account's data for good")
    delete.add_argument("username")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    delete.add_argument("--reason", default="", help="why, for the audit log")
    delete.set_defaults(run=_async(commands.account_delete))
    account.add_parser("list", help="list local accounts").set_defaults(
        run=_async(commands.account_list)
    )

    invite = verbs.add_parser("invite", help="invite people").add_subparsers(
        required=True, metavar="ACTION"
    )
    invite_create = invite.add_parser("create", help="create an invite link")
    invite_create.add_argument("--uses", type=int, default=1, help="how many people may use it")
    invite_create.add_argument("--days", type=int, default=7, help="days until it expires")
    invite_create.set_defaults(run=_async(commands.invite_create))

    locking = verbs.add_parser(
        "lockdown", help="narrow the node to its allowlist on the day it is attacked"
    )
    locking.add_argument("state", choices=["on", "off", "status"])
    locking.add_argument("--reason", default="", help="why, for the audit log")
    locking.set_defaults(run=_async(commands.lockdown_turn))
    setting = verbs.add_parser(
        "setting", help="change a node setting while it runs (as /admin does)"
    )
    setting.add_argument("name", choices=[s.replace("_", "-") for s in switches.SETTINGS])
    setting.add_argument("state", choices=["on", "off", "status"])
    setting.set_defaults(run=_async(commands.setting_turn))
    held = verbs.add_parser(
        "quarantine", help="servers met for the first time, held at a distance for a while"
    ).add_subparsers(required=True, metavar="ACTION")
    held.add_parser("list", help="the servers in quarantine now").set_defaults(
        run=_async(commands.quarantine_list)
    )
    admit = held.add_parser("admit", help="end a server's quarantine now")
    admit.add_argument("domain")
    admit.set_defaults(run=_async(commands.quarantine_admit))
    audit_log = verbs.add_parser("audit", help="the log of moderation actions")
    audit_log.add_argument("--limit", type=int, default=100, help="how many, newest first")
    audit_log.set_defaults(run=_async(commands.audit_list))

    admin = verbs.add_parser("admin", help="staff and admin roles").add_subparsers(
        required=True, metavar="ACTION"
    )
    grant = admin.add_parser("grant", help="give a person's login a role (default admin)")
    grant.add_argument("username")
    grant.add_argument("--role", choices=["member", "staff", "moderator", "admin"], default="admin")
    grant.set_defaults(run=_async(commands.admin_grant))
    return parser


def _backup_parser(verbs: Any) -> None:
    backup = verbs.add_parser(
        "backup", help="encrypted backups of the database, media and secret key"
    ).add_subparsers(required=True, metavar="ACTION")
    create_verb = backup.add_parser("create", help="write an encrypted backup to FILE")
    create_verb.add_argument("file", type=Path)
    create_verb.add_argument(
        "--recipient",
        action="append",
        default=[],
        metavar="AGE_PUBLIC_KEY",
        help="encrypt to this age public key (age1...) instead of a passphrase; repeatable",
    )
    create_verb.set_defaults(run=backup_commands.create)
    restore_verb = backup.add_parser("restore", help="restore FILE into an empty node")
    restore_verb.add_argument("file", type=Path)
    restore_verb.add_argument(
        "--identity", type=Path, help="an age identity file (for public-key backups)"
    )
    restore_verb.add_argument(
        "--force", action="store_true", help="replace a node's existing data (cannot be undone)"
    )
    restore_verb.set_defaults(run=backup_commands.restore)


def _database_parser(verbs: Any) -> None:
    database = verbs.add_parser(
        "database", help="move the node's data to another database"
    ).add_subparsers(required=True, metavar="ACTION")
    copy_to = database.add_parser(
        "copy-to", help="copy this stopped node's SQLite data into an empty PostgreSQL database"
    )
    copy_to.add_argument("url", metavar="POSTGRESQL_URL")
    copy_to.set_defaults(run=database_commands.copy_to)


def _trust_parser(verbs: Any) -> None:
    trust = verbs.add_parser(
        "trust", help="subscribe to other organisations' block- or allowlists"
    ).add_subparsers(required=True, metavar="ACTION")
    subscribe = trust.add_parser("subscribe", help="subscribe to a published list (URL)")
    subscribe.add_argument("url", help="https://host/api/v1/instance/domain_blocks or a CSV")
    subscribe.add_argument("--allowlist", action="store_true", help="it feeds the allowlist")
    subscribe.add_argument("--name", help="a short name (default: the host)")
    subscribe.set_defaults(run=_async(trust_commands.subscribe))
    trust.add_parser("list", help="list subscriptions").set_defaults(
        run=_async(trust_commands.list_subscriptions)
    )
    review = trust.add_parser("review", help="fetch and show the changes a list would make")
    review.add_argument("list", nargs="?", help="NAME or URL (default: every list)")
    review.set_defaults(run=_async(trust_commands.review))
    apply = trust.add_parser("apply", help="apply the changes of the last review")
    apply.add_argument("list", nargs="?", help="NAME or URL (default: every list)")
    apply.add_argument("--only", nargs="+", metavar="DOMAIN", help="apply only these domains")
    apply.set_defaults(run=_async(trust_commands.apply))
    unsubscribe = trust.add_parser("unsubscribe", help="end a subscription (keeps its entries)")
    unsubscribe.add_argument("list", help="NAME or URL")
    unsubscribe.set_defaults(run=_async(trust_commands.unsubscribe))


def _country_trust_parser(verbs: Any) -> None:
    trust = verbs.add_parser(
        "country-trust", help="name the organisations trusted to publish about a country"
    ).add_subparsers(required=True, metavar="ACTION")
    for action, helptext in [
        ("add", "trust an organisation (name@server) for a country"),
        ("remove", "stop trusting it for that country"),
    ]:
        sub = trust.add_parser(action, help=helptext)
        sub.add_argument("country", help="ISO 3166-1 code or English name")
        sub.add_argument("handle", help="the organisation, name@server")
        sub.set_defaults(run=_async(getattr(country_trust_commands, action)))
    trust.add_parser("list", help="list the organisations named per country").set_defaults(
        run=_async(country_trust_commands.list_named)
    )


if __name__ == "__main__":
    main()
