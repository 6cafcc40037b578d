"""The moderators' pages: the report queue with its forms, actions on accounts and posts,
and the audit log. Plain HTML forms, no JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import personas, posts
from content.accounts import Account
from content.audience import OPEN_TO_ALL
from content.interface_text import N_, Message
from content.paging import Window, parse_id
from content.posts import Post
from moderation import allowlist, audit, lockdown, quarantine, reports, switches
from moderation.reports import Report
from node import run_time_settings
from node.moderating import (
    ADMINS,
    MODERATORS,
    AccountAction,
    ModerationError,
    act_on_account,
    change_report,
    delete_post,
    forward_report,
    has_role,
    share_report,
)
from node.state import services
from node.web import notices
from node.web.admin_trust import waiting_changes
from node.web.rendering import render
from node.web.staff import staff_form, staff_viewer
from node.web.to_verify import for_admins as to_verify_counts

T = TypeVar("T")
QUEUE = Window(limit=50)
AUDIT_PAGE = 100


@dataclass(frozen=True)
class QueueItem:
    """A report as the queue shows it."""

    report: Report
    target: Account
    reporter: Account | None
    posts: list[Post]
    login: Account | None = None  # whose further identity the target is (moderators only)


HELD_SHOWN = 100  # servers in quarantine the page lists, the newest first


async def index(request: Request) -> Response:
    """`/admin`: where moderators start."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, MODERATORS)
        if isinstance(viewer, Response):
            return viewer
        is_admin = await has_role(session, viewer, ADMINS)
        locked = await lockdown.is_on(session)
        held = await quarantine.quarantined(session, HELD_SHOWN) if is_admin else []
        held_count = await quarantine.count_held(session) if is_admin else 0
        trust_waiting = await waiting_changes(session) if is_admin else 0
        to_verify = await to_verify_counts(request, session) if is_admin else (0, 0)
        settings = services(request).settings
        node_settings = {
            str(switch): await run_time_settings.is_on(session, settings, switch)
            for switch in switches.SETTINGS
        }
    return render(
        request,
        "admin.html",
        viewer=viewer,
        is_admin=is_admin,
        locked=locked,
        held=held,
        held_more=held_count - len(held),
        trust_waiting=trust_waiting,
        to_verify=to_verify,
        node_settings=node_settings,
        notice=notices.take(request),
    )


async def _lockdown(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    """Turn lockdown on or off (admins only); this process follows at once."""
    on = form.get("lockdown") == "on"
    reason = str(form.get("reason", ""))[:2000]
    await lockdown.turn(session, on, viewer, reason)
    services(request).federation.lockdown = on
    return []


async def _settings(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    """Change the node settings that are safe to change while it runs (admins only): each
    as its box is ticked or not; every process follows at once (each reads the row)."""
    for switch in switches.SETTINGS:
        on = form.get(str(switch)) == "on"
        await run_time_settings.turn(session, services(request).settings, switch, on, viewer)
    return []


async def _admit(
    session: AsyncSession, viewer: Account, form: FormData, _request: Request
) -> list[str]:
    """End a server's quarantine (admins only)."""
    domain = str(form.get("domain", ""))[:255]
    if not await quarantine.admit(session, domain, viewer):
        raise ModerationError(Message(N_("%(domain)s is not in quarantine"), domain=domain))
    return []


async def report_queue(request: Request) -> Response:
    """`/admin/reports`: open reports (`?resolved=1`: closed ones), newest first."""
    resolved = request.query_params.get("resolved") == "1"
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, MODERATORS)
        if isinstance(viewer, Response):
            return viewer
        page = await reports.reports_page(session, resolved=resolved, window=QUEUE)
        items = [await _item(session, report) for report in page]
        partners = await allowlist.allowed_domains(session)
    return render(
        request,
        "admin_reports.html",
        viewer=viewer,
        items=items,
        partners=partners,
        open_to_all=OPEN_TO_ALL,
        resolved=resolved,
        notice=notices.take(request),
    )


async def audit_log(request: Request) -> Response:
    """`/admin/audit`: the newest moderation actions."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, MODERATORS)
        if isinstance(viewer, Response):
            return viewer
        entries = await audit.recent(session, AUDIT_PAGE)
    return render(request, "admin_audit.html", viewer=viewer, entries=entries)


async def _item(session: AsyncSession, report: Report) -> QueueItem:
    target = await session.get(Account, report.target_id)
    assert target is not None
    reporter = await session.get(Account, report.reporter_id) if report.reporter_id else None
    found = [await posts.get_by_uri(session, uri) for uri in reports.reported_post_uris(report)]
    user = await personas.login_of(session, target)
    login = await session.get(Account, user.account_id) if user else None
    return QueueItem(
        report,
        target,
        reporter,
        [p for p in found if p is not None],
        login if login is not None and login.id != target.id else None,
    )


async def _on_report(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    report = await _row(session, Report, request.path_params["report_id"])
    fed = services(request).federation
    verb = request.path_params["verb"]
    if verb not in ("forward", "share"):
        note = str(form.get("note", ""))[: reports.MAX_COMMENT]
        await change_report(fed, session, report, viewer, verb, note=note)
        return []
    added = [(await _row(session, Post, str(i))).uri for i in form.getlist("add")]
    comment = str(form.get("comment", ""))
    if verb == "forward":
        await forward_report(fed, session, report, viewer, comment=comment, added=added)
    else:
        partner = str(form.get("domain", ""))
        await share_report(
            fed, session, report, viewer, partner=partner, comment=comment, added=added
        )
    return []


async def _on_account(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    target = await _row(session, Account, request.path_params["account_id"])
    try:
        action = AccountAction(str(form.get("type", "")))
    except ValueError:
        raise HTTPException(400, "no such action") from None
    reason = str(form.get("reason", ""))[:2000]
    await act_on_account(services(request).federation, session, viewer, target, action, reason)
    return []


async def _on_post(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    post = await _row(session, Post, request.path_params["post_id"])
    reason = str(form.get("reason", ""))[:2000]
    return await delete_post(services(request).federation, session, viewer, post, reason)


async def _row(session: AsyncSession, model: type[T], raw_id: str) -> T:
    found = await session.get(model, id_) if (id_ := parse_id(raw_id)) is not None else None
    if found is None:
        raise HTTPException(404, "there is no such record")
    return found


QUEUE_PATH = "/admin/reports"
routes = [
    Route("/admin", index),
    Route(QUEUE_PATH, report_queue),
    Route("/admin/audit", audit_log),
    Route("/admin/lockdown", staff_form(_lockdown, ADMINS, "/admin"), methods=["POST"]),
    Route("/admin/settings", staff_form(_settings, ADMINS, "/admin"), methods=["POST"]),
    Route("/admin/quarantine/admit", staff_form(_admit, ADMINS, "/admin"), methods=["POST"]),
    Route(
        "/admin/reports/{report_id}/{verb}",
        staff_form(_on_report, MODERATORS, QUEUE_PATH),
        methods=["POST"],
    ),
    Route(
        "/admin/accounts/{account_id}/action",
        staff_form(_on_account, MODERATORS, QUEUE_PATH),
        methods=["POST"],
    ),
    Route(
        "/admin/posts/{post_id}/delete",
        staff_form(_on_post, MODERATORS, QUEUE_PATH),
        methods=["POST"],
    ),
]
