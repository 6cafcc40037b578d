"""What each `harbour` command does, apart from parsing its arguments."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shlex
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp

from activitypub import ActorType, generate_keypair
from content import accounts, media, personas, two_factor, web_sessions
from content.accounts import Account
from content.users import Role, User, add_user, user_of
from federation import outbox
from federation.transport import DEADLINE
from federation.worker import STOP_SECONDS, Worker
from moderation import approvals, audit, lockdown, quarantine
from moderation.switches import Switch
from node import admission, i18n, run_time_settings
from node.admission import AdmissionError
from node.app import create_app, create_federation, listen_url, pusher_for
from node.bootstrap import Credentials, ensure_node, new_password
from node.database import (
    create_engine,
    create_sessionmaker,
    has_secret,
    migrate,
    session_scope,
)
from node.middleware import NoAddressInWebSocketLog
from node.settings import Settings
from node.sqlite_lock import one_process
from node.streaming.hub import Hub

KINDS = {
    "person": ActorType.PERSON,
    "organisation": ActorType.ORGANIZATION,
    "group": ActorType.GROUP,
}


GC_YOUNG_THRESHOLD = 7_000


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line for the terminal."""


def init(settings: Settings, args: argparse.Namespace) -> None:
    """Migrate the database and create the node's first accounts."""
    _print_welcome(settings, _set_up(settings), args)


def migrate_only(settings: Settings, _args: argparse.Namespace) -> None:
    """Apply pending migrations."""
    migrate(settings.database_url)
    print("The database schema is up to date.")


def serve(settings: Settings, args: argparse.Namespace) -> None:
    """Set up if needed, then serve HTTP until interrupted (alone on SQLite)."""
    settings = replace(
        settings,
        listen_host=args.host or settings.listen_host,
        listen_port=args.port or settings.listen_port,
    )
    with one_process(settings.database_url):
        _print_welcome(settings, _set_up(settings), args)
        app = create_app(settings, run_worker=not args.no_worker)
        settle_heap()
        logging.getLogger("uvicorn.error").addFilter(NoAddressInWebSocketLog())
        StreamsEndFirst(server_config(settings, app), app.state.streams).run()


MAX_WEBSOCKET_MESSAGE = 65_536  # a subscribe message is a few dozen bytes (uvicorn: 16 MiB)


def server_config(settings: Settings, app: ASGIApp) -> uvicorn.Config:
    """Uvicorn's settings for `harbour serve`. Its event loop and HTTP parser are the ones
    the node is tested on, whatever else is installed: by default uvicorn takes uvloop and
    httptools where they are (`uvicorn[standard]`), and under uvloop the signing process
    never started (its transport is no `asyncio.SubprocessTransport`), so a fan-out's
    every signature was made on the event loop."""
    return uvicorn.Config(
        app,
        host=settings.listen_host,
        port=settings.listen_port,
        loop="asyncio",
        http="h11",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        log_level="info",
        ws=cast("type[asyncio.Protocol]", websocket_protocol),
        ws_max_size=MAX_WEBSOCKET_MESSAGE,
    )


def websocket_protocol(**connection: Any) -> asyncio.Protocol:
    """Uvicorn's WebSocket protocol over websockets (what its "auto" picks), imported at the
    first WebSocket upgrade: loaded at start-up, they were ~1.4 MiB of a node's idle memory
    that only the streaming API's clients use (issue 18)."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    return WebSocketsSansIOProtocol(**connection)


class StreamsEndFirst(uvicorn.Server):
    """Uvicorn, ending the open streams when it shuts down: it waits for every response to
    finish before it stops, and a stream's never would."""

    def __init__(self, config: uvicorn.Config, streams: Hub) -> None:
        super().__init__(config)
        self.streams = streams

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.streams.end_all()
        await super().shutdown(sockets)


async def account_create(settings: Settings, args: argparse.Namespace) -> None:
    """Create a local account; a person also gets a login, whose password is printed."""
    kind = KINDS[args.kind]
    keypair = await asyncio.to_thread(generate_keypair)
    async with session_for(settings) as session:
        account = await accounts.create_local(
            session,
            base_url=settings.base_url,
            username=args.username,
            actor_type=kind,
            keypair=keypair,
        )
        password = new_password() if kind == ActorType.PERSON else None
        if password:
            add_user(session, account, password, Role(args.role))
    print(f"Created @{account.username}@{settings.domain} ({args.kind}): {account.uri}")
    if password:
        print(f"  password: {password}")


async def account_suspend(settings: Settings, args: argparse.Namespace) -> None:
    """Suspend an account."""
    async with session_for(settings) as session:
        account = await local_account(session, args.username)
        for held in await personas.accounts_of(session, account):  # the login, all of it
            accounts.suspend(held)
            await web_sessions.end_all(session, held.id)
        audit.record(session, None, "account.suspend", f"@{args.username}", args.reason)
    print(f"Suspended @{args.username}.")


async def account_unsuspend(settings: Settings, args: argparse.Namespace) -> None:
    """Lift a suspension."""
    async with session_for(settings) as session:
        for held in await personas.accounts_of(
            session, await local_account(session, args.username)
        ):
            accounts.unsuspend(held)
        audit.record(session, None, "account.unsuspend", f"@{args.username}", args.reason)
    print(f"@{args.username} is no longer suspended.")


async def account_password(settings: Settings, args: argparse.Namespace) -> None:
    """Give a person a new random password and print it."""
    async with session_for(settings) as session:
        account = await local_account(session, args.username)
        user = await user_of(session, account)
        if user is None:
            raise CommandError(f"@{args.username} has no login (it is not a person)")
        password = new_password()
        await web_sessions.change_password(session, user, password)
    print(f"New password for @{args.username}: {password}")


async def account_disable_2fa(settings: Settings, args: argparse.Namespace) -> None:
    """Turn off a locked-out member's two-factor sign-in."""
    async with session_for(settings) as session:
        user = await user_of(session, await local_account(session, args.username))
        if user is None or not user.has_two_factor:
            raise CommandError(f"@{args.username} does not use two-factor sign-in")
        await two_factor.disable(session, user)
        audit.record(session, None, "account.disable_2fa", f"@{args.username}", args.reason)
    print(f"Two-factor sign-in is off for @{args.username}; the password alone signs in now.")


async def account_approve(settings: Settings, args: argparse.Namespace) -> None:
    """Approve an account that joined while registrations needed approval."""
    async with session_for(settings) as session:
        approvals.approve(session, await local_account(session, args.username), None, args.reason)
    print(f"Approved @{args.username}: it can sign in now.")


async def account_reject(settings: Settings, args: argparse.Namespace) -> None:
    """Reject (erase) an account waiting for approval."""
    async with session_for(settings) as session:
        account = await local_account(session, args.username)
        files = await approvals.reject(session, account, None, args.reason)
    media.remove_files(settings.media_dir, files)
    print(f"Rejected @{args.username}: the account is erased.")


async def account_delete(settings: Settings, args: argparse.Namespace) -> None:
    """Erase a local account's data, keeping its name reserved."""
    if not args.yes:
        raise CommandError(f"this erases @{args.username} for good; add --yes to confirm")
    engine = create_engine(settings.database_url)
    federation = create_federation(settings, create_sessionmaker(engine))
    try:
        async with session_scope(federation.sessions) as session:
            account = await local_account(session, args.username)
            files = await outbox.delete_account(federation, session, account)
            audit.record(session, None, "account.delete", f"@{args.username}", args.reason)
    finally:
        await federation.transport.aclose()
        await engine.dispose()
    media.remove_files(settings.media_dir, files)
    print(
        f"Erased @{args.username}. The name stays reserved; the servers this node knows are"
        " told it is gone."
    )


async def account_list(settings: Settings, _args: argparse.Namespace) -> None:
    """Print every local account with its kind, role and state."""
    async with session_for(settings) as session:
        rows = await session.execute(
            select(Account, User.role)
            .outerjoin(User, User.account_id == Account.id)
            .where(Account.domain.is_(None))
            .order_by(Account.username)
        )
        for account, role in rows:
            state = (
                "deleted"
                if account.deleted_at
                else "suspended"
                if account.suspended_at
                else "limited"
                if account.silenced_at
                else "pending"
                if account.awaiting_approval
                else "active"
            )
            print(f"{account.username:32} {account.actor_type:13} {role or '-':10} {state}")


async def setting_turn(settings: Settings, args: argparse.Namespace) -> None:
    """Turn a run-time node setting on or off (audited), or say how it is now."""
    switch = Switch(args.name.replace("-", "_"))
    async with session_for(settings) as session:
        if args.state != "status":
            await run_time_settings.turn(session, settings, switch, args.state == "on", None)
        on = await run_time_settings.is_on(session, settings, switch)
    print(f"{args.name} is {'on' if on else 'off'}.")


async def lockdown_turn(settings: Settings, args: argparse.Namespace) -> None:
    """Turn lockdown on or off, or say whether it is on (every process follows within a
    second)."""
    async with session_for(settings) as session:
        if args.state == "status":
            on = await lockdown.is_on(session)
        else:
            on = args.state == "on"
            await lockdown.turn(session, on, None, args.reason)
    if on:
        print(
            "Lockdown is on: only servers on the allowlist, signed fetches only, nobody can "
            "join, no remote media. `harbour lockdown off` restores what was before."
        )
    else:
        print("Lockdown is off: the node runs as its settings say.")


async def quarantine_list(settings: Settings, _args: argparse.Namespace) -> None:
    """Print the servers in quarantine: since when, and until when."""
    async with session_for(settings) as session:
        held = await quarantine.quarantined(session)
    if not held:
        print("No server is in quarantine.")
    for server in held:
        assert server.quarantined_until is not None
        met = server.first_seen_at.strftime("%Y-%m-%d %H:%M")
        until = server.quarantined_until.strftime("%Y-%m-%d %H:%M")
        print(f"{server.domain:40} met {met}  until {until}")


async def quarantine_admit(settings: Settings, args: argparse.Namespace) -> None:
    """End a server's quarantine now (audited)."""
    async with session_for(settings) as session:
        if not await quarantine.admit(session, args.domain, None):
            raise CommandError(f"{args.domain} is not in quarantine")
    print(f"{args.domain} is admitted: its posts, follows and media are treated as any other's.")


async def audit_list(settings: Settings, args: argparse.Namespace) -> None:
    """Print the newest moderation actions: when, who, what, to whom, why."""
    async with session_for(settings) as session:
        for entry, actor in await audit.recent(session, args.limit):
            when = entry.created_at.strftime("%Y-%m-%d %H:%M")
            print(f"{when}  {actor:16} {entry.action:20} {entry.target}  {entry.reason}".rstrip())


async def invite_create(settings: Settings, args: argparse.Namespace) -> None:
    """Create an invite and print the link to join with it."""
    async with session_for(settings) as session:
        try:
            code = admission.create_invite(session, None, args.uses, args.days)
        except AdmissionError as error:
            raise CommandError(str(error.args[0])) from None
    print(f"{settings.base_url}/register?invite={code}")
    print(f"  valid for {args.uses} use(s) within {args.days} day(s); the code is shown only now")


async def admin_grant(settings: Settings, args: argparse.Namespace) -> None:
    """Give a person's login a role."""
    async with session_for(settings) as session:
        person = await local_account(session, args.username)
        try:
            await admission.grant_role(session, None, person, Role(args.role))
        except AdmissionError:
            raise CommandError(f"@{args.username} has no login (it is not a person)") from None
    print(f"@{args.username} is now {args.role}.")


async def worker(settings: Settings, _args: argparse.Namespace) -> None:
    """Run the delivery and inbox worker until interrupted (alone on SQLite)."""
    with one_process(settings.database_url):
        engine = create_engine(settings.database_url)
        federation = create_federation(settings, create_sessionmaker(engine))
        settle_heap()
        print(f"Harbour worker for {settings.domain} is running.", flush=True)
        try:
            worker = Worker(
                federation,
                settings.retention,
                listen_to=listen_url(settings),
                pusher=pusher_for(settings, i18n.load(settings.test_locales)),
            )
            switches = asyncio.create_task(lockdown.follow(federation.sessions, federation))
            stop_on_signals(worker)
            try:
                await worker.run_forever()
            finally:
                switches.cancel()
                await asyncio.gather(switches, return_exceptions=True)
        finally:
            await federation.transport.aclose()
            await engine.dispose()


def stop_on_signals(worker: Worker) -> None:
    """The first SIGTERM or SIGINT stops `worker` as a deploy needs: it ends the work under
    way and records it (killed by SIGTERM's default, the deliveries it had sent since its
    claim were never recorded and another worker sent them all again, attack5). The sends
    take up to DEADLINE + STOP_SECONDS, an inbox item being applied up to its own limit
    (APPLY_TIMEOUT, a minute; attack7); a second signal ends the process at once, as an operator
    who pressed Ctrl-C twice means (its claims come back to a worker after the grace)."""
    loop = asyncio.get_running_loop()

    def stop(number: int) -> None:
        print(
            "Stopping: the work under way is being finished and recorded (the deliveries "
            f"in flight within {DEADLINE + STOP_SECONDS:.0f} s). Interrupt again to quit at "
            "once; what was sent meanwhile may then be sent again.",
            file=sys.stderr,
            flush=True,
        )
        for each in signal.SIGTERM, signal.SIGINT:
            loop.add_signal_handler(each, quit_now, each)
        worker.stop()

    def quit_now(number: int) -> None:
        print("Quitting now.", file=sys.stderr, flush=True)
        os._exit(128 + number)

    for each in signal.SIGTERM, signal.SIGINT:
        loop.add_signal_handler(each, stop, each)


def settle_heap() -> None:
    """After start-up, move everything alive (modules, the app, templates) out of the
    collector's sight with `gc.freeze()`, so a full collection walks only what requests
    allocate (it took ~100 ms with all start-up objects, the timeline's p99); collect the
    youngest generation less often (7,000 allocations, not 700), as request handling makes
    many short-lived containers; and turn the collector on (`cli.main` starts with it off).
    The collection first walks only what set-up made (~1 ms, ~2,300 objects freed: engines
    and sessions it closed) when `cli` froze the imported modules before set-up; it walked
    everything (60-110 ms of CPU) when it did not."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    gc.enable()


def _set_up(settings: Settings) -> Credentials | None:
    migrate(settings.database_url)

    async def run() -> Credentials | None:
        engine = create_engine(settings.database_url)
        try:
            return await ensure_node(settings, create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def command_line(args: argparse.Namespace, *words: str) -> str:
    """`harbour WORDS` as it works when pasted into the shell this command was started from:
    the same program (by path unless it is the `harbour` on PATH) and the same settings
    file, domain and data location (a database URL with a password is left to the
    environment, never printed)."""
    program = sys.argv[0]
    on_path = shutil.which("harbour")
    if on_path is not None and Path(on_path).resolve() == Path(program).resolve():
        program = "harbour"
    prefix = []
    for name in ("HARBOUR_CONFIG", "HARBOUR_DOMAIN", "HARBOUR_DATA_DIR", "HARBOUR_DATABASE_URL"):
        value = os.environ.get(name, "")
        if value and not has_secret(value):
            prefix.append(f"{name}={shlex.quote(value)}")
    config = ["--config", str(args.config)] if args.config else []
    return " ".join([*prefix, shlex.join([program, *config, *words])])


def _print_welcome(
    settings: Settings, credentials: Credentials | None, args: argparse.Namespace
) -> None:
    print(f"Harbour node {settings.domain} is set up ({_database_kind(settings)}).")
    if credentials is None:
        return
    print(
        f"\n  Sign in at {settings.base_url}/login\n"
        f"    nickname: {credentials.username}\n"
        f"    password: {credentials.password}\n"
        "  This password is shown only now. If it is lost: "
        f"{command_line(args, 'account', 'password', credentials.username)}\n",
        flush=True,
    )


def _database_kind(settings: Settings) -> str:
    return "SQLite" if settings.database_url.startswith("sqlite") else "PostgreSQL"


@asynccontextmanager
async def session_for(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session in a transaction on the node's database, for one command."""
    engine = create_engine(settings.database_url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


async def local_account(session: AsyncSession, username: str) -> Account:
    """A local account by username, or CommandError saying why there is none."""
    account = await accounts.get_local(session, username, include_gone=True)
    if account is None or account.actor_type not in accounts.LOCAL_KINDS:
        raise CommandError(f"there is no local account @{username}")
    if account.deleted_at is not None:
        raise CommandError(f"@{username} has been deleted")
    return account
