"""Every table of every package, imported so `Base.metadata` is complete (for Alembic)."""

from __future__ import annotations

from content.accounts import Account
from content.interactions import Interaction
from content.invites import Invite
from content.media import MediaAttachment
from content.oauth import AccessToken, AuthorizationCode, OAuthApp
from content.orm import Base
from content.posts import Mention, Post
from content.relationships import Follow
from content.users import User
from federation.delivery import Delivery
from federation.hosts import RemoteHost
from federation.inbox import InboxItem
from moderation.account_blocks import AccountBlock
from moderation.allowlist import AllowedDomain
from moderation.reports import Report

__all__ = [
    "AccessToken",
    "Account",
    "AccountBlock",
    "AllowedDomain",
    "AuthorizationCode",
    "Base",
    "Delivery",
    "Follow",
    "InboxItem",
    "Interaction",
    "Invite",
    "MediaAttachment",
    "Mention",
    "OAuthApp",
    "Post",
    "RemoteHost",
    "Report",
    "User",
]
