"""Every table of every package, imported so `Base.metadata` is complete (for Alembic) and
every relationship's target is mapped before the first query; `node.database` imports it."""

from __future__ import annotations

from content.models import *  # noqa: F403  (the content layer's classes, Base among them)
from content.models import __all__ as CONTENT_MODELS
from federation.delivery import Delivery, DeliveryBody
from federation.hosts import RemoteHost
from federation.imports import ImportRow, ListImport
from federation.inbox import InboxItem
from federation.push import PushMessage
from moderation.account_blocks import AccountBlock
from moderation.allowlist import AllowedDomain
from moderation.audit import AuditEntry
from moderation.domain_blocks import DomainBlock
from moderation.member_domain_blocks import MemberDomainBlock
from moderation.mutes import Mute
from moderation.quarantine import KnownServer
from moderation.reports import Report
from moderation.shared_limits import RateBucket
from moderation.switches import NodeSwitch
from moderation.trust_lists import TrustList, TrustListEntry
from moderation.verdicts import PolicyGeneration

__all__ = [
    *CONTENT_MODELS,
    "AccountBlock",
    "AllowedDomain",
    "AuditEntry",
    "Delivery",
    "DeliveryBody",
    "DomainBlock",
    "ImportRow",
    "InboxItem",
    "KnownServer",
    "ListImport",
    "MemberDomainBlock",
    "PushMessage",
    "Mute",
    "NodeSwitch",
    "PolicyGeneration",
    "RateBucket",
    "RemoteHost",
    "Report",
    "TrustList",
    "TrustListEntry",
]
