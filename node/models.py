"""Every table of every package, imported so `Base.metadata` is complete (for Alembic)."""

from __future__ import annotations

from content.accounts import Account
from content.bookmarks import Bookmark
from content.conversations import Conversation
from content.countries import CountryPage, CountryRevision
from content.country_trust import CountryTrust
from content.directory import Listing, ListingCategory, ListingLanguage
from content.group_threads import GroupPost
from content.groups import Group, GroupBan, GroupModerator
from content.idempotency import IdempotencyKey
from content.interactions import Interaction
from content.invites import Invite
from content.markers import Marker
from content.media import MediaAttachment
from content.notifications import Notification
from content.oauth import AccessToken, AuthorizationCode, OAuthApp
from content.orm import Base
from content.posts import Mention, Post, PostTag
from content.relationships import Follow
from content.two_factor import RecoveryCode
from content.users import User
from content.web_sessions import WebSession
from federation.delivery import Delivery
from federation.hosts import RemoteHost
from federation.inbox import InboxItem
from moderation.account_blocks import AccountBlock
from moderation.allowlist import AllowedDomain
from moderation.audit import AuditEntry
from moderation.domain_blocks import DomainBlock
from moderation.member_domain_blocks import MemberDomainBlock
from moderation.mutes import Mute
from moderation.reports import Report
from moderation.trust_lists import TrustList, TrustListEntry

__all__ = [
    "AccessToken",
    "Account",
    "AccountBlock",
    "AllowedDomain",
    "AuditEntry",
    "AuthorizationCode",
    "Base",
    "Conversation",
    "CountryPage",
    "CountryRevision",
    "CountryTrust",
    "Bookmark",
    "Delivery",
    "DomainBlock",
    "Follow",
    "Group",
    "GroupBan",
    "GroupModerator",
    "GroupPost",
    "IdempotencyKey",
    "InboxItem",
    "Interaction",
    "Invite",
    "Listing",
    "ListingCategory",
    "ListingLanguage",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Notification",
    "MemberDomainBlock",
    "Mention",
    "Mute",
    "OAuthApp",
    "Post",
    "PostTag",
    "RecoveryCode",
    "RemoteHost",
    "Report",
    "TrustList",
    "TrustListEntry",
    "User",
    "WebSession",
]
