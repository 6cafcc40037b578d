"""`harbour domain ...`: the allowlist and domain blocks, from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from moderation import allowlist, audit, domain_blocks, trust_lists
from moderation.domain_blocks import BlockTerms, DomainBlockError, Severity
from moderation.domain_names import normalise
from moderation.policy import FederationMode
from node.commands import CommandError, session_for
from node.settings import Settings


async def allow(settings: Settings, args: argparse.Namespace) -> None:
    """Put a host on the allowlist."""
    async with session_for(settings) as session:
        name = await allowlist.allow(session, args.domain)
    print(f"{name} may federate with this node.{_mode_hint(settings)}")


async def disallow(settings: Settings, args: argparse.Namespace) -> None:
    """Take a host off the allowlist."""
    async with session_for(settings) as session:
        removed = await allowlist.disallow(session, args.domain)
    if not removed:
        raise CommandError(f"{args.domain} is not on the allowlist")
    print(f"{normalise(args.domain)} is off the allowlist.")


async def list_domains(settings: Settings, _args: argparse.Namespace) -> None:
    """Print the allowlist (in allowlist mode) and every block with its severity."""
    async with session_for(settings) as session:
        allowed = await allowlist.allowed_domains(session)
        blocks = await domain_blocks.all_blocks(session)
    if settings.federation_mode == FederationMode.ALLOWLIST:
        for name in allowed:
            print(f"allowed  {name}")
    for row in blocks:
        extras = [n for n, on in (("reject-media", row.reject_media),
                                  ("reject-reports", row.reject_reports)) if on]  # fmt: skip
        print(f"{row.severity:<8} {row.domain} {' '.join(extras)}".rstrip())


async def block(settings: Settings, args: argparse.Namespace) -> None:
    """Block a domain and its sub-domains; a suspension also drops what we keep from it."""
    terms = BlockTerms(
        domain=args.domain,
        severity=Severity(args.severity),
        reject_media=args.reject_media,
        reject_reports=args.reject_reports,
        public_comment=args.public_comment,
        private_comment=args.private_comment,
    )
    async with session_for(settings) as session:
        row = await _apply(session, terms)
    print(f"{row.domain} is blocked ({row.severity}); this takes effect at once.")


async def unblock(settings: Settings, args: argparse.Namespace) -> None:
    """Lift a domain's block."""
    async with session_for(settings) as session:
        lifted = await domain_blocks.unblock(session, args.domain)
        if lifted:
            audit.record(session, None, "domain.unblock", normalise(args.domain))
    if not lifted:
        raise CommandError(f"{args.domain} is not blocked")
    print(f"{normalise(args.domain)} is no longer blocked.")


async def import_csv(settings: Settings, args: argparse.Namespace) -> None:
    """Apply a Mastodon domain-block CSV (or a list of domains); `--dry-run` only shows it."""
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        terms = domain_blocks.parse_csv(text)
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    except DomainBlockError as error:
        raise CommandError(f"{args.file}: {error}") from None
    async with session_for(settings) as session:
        for term in terms:
            current = await domain_blocks.block_for(session, term.domain)
            is_same = current is not None and current.domain == normalise(term.domain)
            change = "change" if is_same else "new"
            print(f"{change:<7}{term.severity:<8} {normalise(term.domain)}")
            if not args.dry_run:
                await _apply(session, term)
    done = "would be applied (dry run)" if args.dry_run else "applied"
    print(f"{len(terms)} block{'' if len(terms) == 1 else 's'} {done}.")


async def export_csv(settings: Settings, args: argparse.Namespace) -> None:
    """Write every block as Mastodon's CSV (public comments only)."""
    async with session_for(settings) as session:
        text = domain_blocks.to_csv(await domain_blocks.all_blocks(session))
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, "utf-8")
        print(f"Wrote {text.count(chr(10)) - 1} blocks to {args.file}.")


async def _apply(session: AsyncSession, terms: BlockTerms) -> domain_blocks.DomainBlock:
    try:
        return await trust_lists.block_by_hand(session, terms, None)
    except DomainBlockError as error:
        raise CommandError(str(error)) from None


def _mode_hint(settings: Settings) -> str:
    if settings.federation_mode == FederationMode.ALLOWLIST:
        return ""
    return (
        " (this node is in open mode: the allowlist applies in HARBOUR_FEDERATION_MODE=allowlist)"
    )
