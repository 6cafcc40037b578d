"""`/admin/domains`: the node's domain blocks, for admins only: list them, block a domain
(with a severity and comments) and lift a block. Every change is in the audit log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.accounts import Account
from content.interface_text import N_, Message
from moderation import audit, domain_blocks, trust_lists
from moderation.domain_blocks import BlockTerms, DomainBlockError, Severity
from moderation.domain_names import normalise
from node.moderating import ADMINS
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.staff import staff_form, staff_viewer

PATH = "/admin/domains"


async def domains_page(request: Request) -> Response:
    """The blocks, by domain as `harbour domain list` shows them, and the forms."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, ADMINS)
        if isinstance(viewer, Response):
            return viewer
        blocks = await domain_blocks.all_blocks(session)
    return render(
        request,
        "admin_domains.html",
        viewer=viewer,
        blocks=blocks,
        severities=list(Severity),
        notice=notices.take(request),
    )


async def _block(
    session: AsyncSession, viewer: Account, form: FormData, _request: Request
) -> list[str]:
    try:
        severity = Severity(str(form.get("severity", "")))
    except ValueError:
        raise DomainBlockError(N_("choose a severity: suspend, silence or noop")) from None
    terms = BlockTerms(
        domain=str(form.get("domain", "")).strip(),
        severity=severity,
        reject_media=form.get("reject_media") == "on",
        reject_reports=form.get("reject_reports") == "on",
        public_comment=str(form.get("public_comment", ""))[:1000],
        private_comment=str(form.get("private_comment", ""))[:1000],
    )
    await trust_lists.block_by_hand(session, terms, viewer)
    return []


async def _unblock(
    session: AsyncSession, viewer: Account, form: FormData, _request: Request
) -> list[str]:
    domain = str(form.get("domain", ""))
    if not await domain_blocks.unblock(session, domain):
        raise DomainBlockError(Message(N_("%(domain)s is not blocked"), domain=domain))
    audit.record(session, viewer, "domain.unblock", normalise(domain))
    return []


routes = [
    Route(PATH, domains_page),
    Route(f"{PATH}/block", staff_form(_block, ADMINS, PATH), methods=["POST"]),
    Route(f"{PATH}/unblock", staff_form(_unblock, ADMINS, PATH), methods=["POST"]),
]
