"""Mastodon's admin API for domain blocks, so admin tools and shared-blocklist syncers work.
Only admins may use it, with an `admin:` scope."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from activitypub.hostnames import host_of
from content.accounts import Account
from content.orm import iso
from content.paging import parse_id
from moderation import audit, domain_blocks, trust_lists
from moderation.domain_blocks import BlockTerms, DomainBlock, DomainBlockError, Severity
from moderation.policy import FederationMode, may_federate_with
from moderation.published_lists import Reader, Readers
from node.api.authorized_fetch import signed_reader
from node.api.mastodon.requests import read_params, staff_of, token_of
from node.database import session_scope
from node.moderating import ADMINS, MODERATORS, has_role
from node.state import services

READ = "admin:read:domain_blocks"
WRITE = "admin:write:domain_blocks"
EXISTING = "existing_domain_block: this domain is blocked already"


async def list_blocks(request: Request) -> Response:
    """GET /api/v1/admin/domain_blocks."""
    await _admin(request, READ)
    async with services(request).sessions() as session:
        return JSONResponse([_entity(row) for row in await domain_blocks.all_blocks(session)])


async def show_block(request: Request) -> Response:
    """GET /api/v1/admin/domain_blocks/:id."""
    await _admin(request, READ)
    async with services(request).sessions() as session:
        return JSONResponse(_entity(await _block(session, request.path_params["id"])))


async def create_block(request: Request) -> Response:
    """POST /api/v1/admin/domain_blocks: a new block (422 if the domain has one already)."""
    admin = await _admin(request, WRITE)
    params = await read_params(request)
    domain = str(params.get("domain", ""))
    try:
        async with session_scope(services(request).sessions) as session:
            if await domain_blocks.by_domain(session, domain):
                raise HTTPException(422, EXISTING)
            row = await _apply(session, admin, _terms(params, domain))
    except IntegrityError:  # the same domain blocked by another request at the same moment
        raise HTTPException(422, EXISTING) from None
    return JSONResponse(_entity(row))


async def update_block(request: Request) -> Response:
    """PUT /api/v1/admin/domain_blocks/:id: change what the block does."""
    admin = await _admin(request, WRITE)
    params = await read_params(request)
    async with session_scope(services(request).sessions) as session:
        row = await _block(session, request.path_params["id"])
        merged = {**_entity(row), "private_comment": row.private_comment, **params}
        row = await _apply(session, admin, _terms(merged, row.domain))
        return JSONResponse(_entity(row))


async def delete_block(request: Request) -> Response:
    """DELETE /api/v1/admin/domain_blocks/:id: lift the block."""
    admin = await _admin(request, WRITE)
    async with session_scope(services(request).sessions) as session:
        row = await _block(session, request.path_params["id"])
        await domain_blocks.unblock(session, row.domain)
        audit.record(session, admin, "domain.unblock", row.domain)
    return JSONResponse({})


async def public_blocks(request: Request) -> Response:
    """GET /api/v1/instance/domain_blocks: what this node blocks and why, so member
    organisations can review and share each other's lists, as Mastodon shows it: suspended
    and limited domains only (a block that only rejects media or reports is the node's own
    business), obfuscated domains obfuscated, public reasons only to those
    `HARBOUR_BLOCKS_REASONS_READERS` admits, private notes never. Shown to everyone, to
    members (a member's app) and partners, to partners alone (a GET signed by a server on
    the allowlist) or to nobody, as `HARBOUR_BLOCKS_READERS` says; moderators and admins
    read what partners may."""
    node = services(request)
    if node.settings.blocks_readers == Readers.NOBODY:
        raise HTTPException(404, "this node does not publish its domain blocks")
    reader = await _reader(request, node.settings.blocks_readers)
    if not node.settings.blocks_readers.admits(reader):
        raise HTTPException(403, "this node shows its domain blocks to its partners only")
    with_reason = node.settings.blocks_reasons_readers.admits(reader)
    async with node.sessions() as session:
        rows = await domain_blocks.all_blocks(session)
    return JSONResponse(
        [
            {
                "domain": _obfuscated(row.domain) if row.obfuscate else row.domain,
                "digest": _digest(row.domain),
                "severity": row.severity,
                "comment": (row.public_comment or None) if with_reason else None,
            }
            for row in rows
            if row.severity != Severity.NOOP
        ]
    )


async def _reader(request: Request, readers: Readers) -> Reader:
    """Who asks: a moderator's or admin's token, a member's, a GET signed by a partner
    (asked for only when the list is not for everyone: 401 if unsigned), or anyone."""
    node = services(request)
    if "authorization" in request.headers:
        token, acting = await token_of(request, "read")
        if acting is None or token.account_id is None:
            return Reader.ANYONE  # an app without a user
        async with node.sessions() as session:
            login = await session.get(Account, token.account_id)
            staff = login is not None and await has_role(session, login, MODERATORS)
        return Reader.STAFF if staff else Reader.MEMBER
    if readers == Readers.EVERYONE and "signature" not in request.headers:
        return Reader.ANYONE
    try:
        host = host_of(await signed_reader(request))
    except HTTPException:
        if readers == Readers.EVERYONE:
            return Reader.ANYONE
        raise
    async with node.sessions() as session:  # on the allowlist and not suspended
        partner = await may_federate_with(session, host, FederationMode.ALLOWLIST)
    return Reader.PARTNER if partner else Reader.ANYONE


async def _admin(request: Request, scope: str) -> Account:
    return await staff_of(request, scope, ADMINS)


async def _block(session: AsyncSession, raw_id: str) -> DomainBlock:
    found = parse_id(raw_id)
    row = await session.get(DomainBlock, found) if found is not None else None
    if row is None:
        raise HTTPException(404, "Record not found")
    return row


async def _apply(session: AsyncSession, admin: Account, terms: BlockTerms) -> DomainBlock:
    try:
        return await trust_lists.block_by_hand(session, terms, admin)
    except DomainBlockError as error:
        raise HTTPException(422, str(error)) from None


def _terms(params: dict[str, Any], domain: str) -> BlockTerms:
    try:
        severity = Severity(str(params.get("severity") or Severity.SILENCE))
    except ValueError:
        raise HTTPException(422, "severity must be silence, suspend or noop") from None
    return BlockTerms(
        domain=domain,
        severity=severity,
        reject_media=_truth(params.get("reject_media")),
        reject_reports=_truth(params.get("reject_reports")),
        public_comment=str(params.get("public_comment") or ""),
        private_comment=str(params.get("private_comment") or ""),
        obfuscate=_truth(params.get("obfuscate")),
    )


def _entity(row: DomainBlock) -> dict[str, Any]:
    """The Admin::DomainBlock entity."""
    return {
        "id": str(row.id),
        "domain": row.domain,
        "digest": _digest(row.domain),
        "created_at": iso(row.created_at),
        "severity": row.severity,
        "reject_media": row.reject_media,
        "reject_reports": row.reject_reports,
        "private_comment": row.private_comment or None,
        "public_comment": row.public_comment or None,
        "obfuscate": row.obfuscate,
    }


def _truth(value: object) -> bool:
    return value in (True, "true", "1", "True", "on")


def _digest(domain: str) -> str:
    return hashlib.sha256(domain.encode()).hexdigest()


def _obfuscated(domain: str) -> str:
    """Mastodon's way: keep the ends, star the middle (`ha*****.example`)."""
    name, dot, tld = domain.rpartition(".")
    keep = max(1, len(name) // 4)
    return f"{name[:keep]}{'*' * (len(name) - 2 * keep)}{name[-keep:]}{dot}{tld}"


routes = [
    Route("/api/v1/admin/domain_blocks", list_blocks),
    Route("/api/v1/admin/domain_blocks", create_block, methods=["POST"]),
    Route("/api/v1/admin/domain_blocks/{id}", show_block),
    Route("/api/v1/admin/domain_blocks/{id}", update_block, methods=["PUT"]),
    Route("/api/v1/admin/domain_blocks/{id}", delete_block, methods=["DELETE"]),
    Route("/api/v1/instance/domain_blocks", public_blocks),
]
