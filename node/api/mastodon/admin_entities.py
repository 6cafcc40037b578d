"""Mastodon's Admin::Account and Admin::Report entities. Harbour keeps no e-mail addresses
and no IP addresses, so those fields are always empty."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content import accounts, posts, users
from content.accounts import Account
from content.orm import iso
from content.users import Role
from moderation import reports
from moderation.reports import Report
from node.api.mastodon import entities
from node.api.mastodon.reports import report_fields

# Mastodon's role permission bits: administrator (1); for moderators view_dashboard,
# view_audit_log, manage_reports and manage_users.
PERMISSIONS = {Role.ADMIN: 1, Role.MODERATOR: 8 | 4 | 16 | 1024}
ROLE_IDS = {Role.MEMBER: "-99", Role.STAFF: "1", Role.MODERATOR: "2", Role.ADMIN: "3"}


def role(name: Role) -> dict[str, Any]:
    """The Role entity of a login's role."""
    return {
        "id": ROLE_IDS[name],
        "name": "" if name == Role.MEMBER else name.title(),
        "color": "",
        "permissions": str(PERMISSIONS.get(name, 0)),
        "highlighted": name in PERMISSIONS,
    }


async def admin_account(session: AsyncSession, row: Account, base_url: str) -> dict[str, Any]:
    """The Admin::Account entity: moderation state, and the role of a local login."""
    login = await users.user_of(session, row) if row.is_local else None
    entity: dict[str, Any] = {
        "id": str(row.id),
        "username": row.username,
        "domain": row.domain,
        "created_at": iso(row.created_at),
        "email": "",
        "ip": None,
        "ips": [],
        "locale": "",
        "invite_request": None,
        "confirmed": login is not None,
        "approved": row.is_local,
        "disabled": row.deleted_at is not None,
        "silenced": row.silenced_at is not None,
        "suspended": row.suspended_at is not None,
        "sensitized": False,
        "account": await entities.account(session, row, base_url),
    }
    if row.is_local:
        entity["role"] = role(Role(login.role) if login else Role.MEMBER)
    return entity


async def admin_report(
    session: AsyncSession, report: Report, viewer: Account, base_url: str
) -> dict[str, Any]:
    """The Admin::Report entity. A Flag filed before its sender was kept shows this node's
    instance actor as the reporter."""
    reporter = (
        await session.get(Account, report.reporter_id) if report.reporter_id else None
    ) or await accounts.instance_actor(session)
    target = await session.get(Account, report.target_id)
    assert reporter is not None and target is not None
    found = [await posts.get_by_uri(session, uri) for uri in reports.reported_post_uris(report)]
    pairs = [(p, a) for p in found if p and (a := await session.get(Account, p.account_id))]
    return {
        **report_fields(report),
        "updated_at": iso(report.updated_at or report.created_at),
        "account": await admin_account(session, reporter, base_url),
        "target_account": await admin_account(session, target, base_url),
        "assigned_account": await _optional(session, report.assigned_to_id, base_url),
        "action_taken_by_account": await _optional(session, report.resolved_by_id, base_url),
        "statuses": await entities.statuses(session, pairs, viewer, base_url),
        "rules": [],
        # Harbour's: the member's wish to forward, and cases shared in the trusted circle.
        "forward_requested": report.forward_requested,
        "shared_with": report.shared_with,
        "shared_case": report.shared_case,
    }


async def _optional(
    session: AsyncSession, account_id: int | None, base_url: str
) -> dict[str, Any] | None:
    row = await session.get(Account, account_id) if account_id else None
    return await admin_account(session, row, base_url) if row else None
