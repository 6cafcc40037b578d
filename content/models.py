"""Every mapped class of the content layer, imported together.

Relationships name their targets by string (a notification's `post`, a mention's `post`), and
SQLAlchemy resolves those names when the first query configures the mappers: only classes
already imported can be found. Whoever opens sessions imports this module (through
`node.models`, which `node.database` imports), so no entry point depends on what happened to
be imported before its first query.
"""

from __future__ import annotations

from content.account_stats import AccountStats
from content.accounts import Account
from content.bookmarks import Bookmark
from content.conversations import Conversation
from content.corrections import Correction, SentCorrection
from content.countries import CountryPage, CountryRevision
from content.country_trust import CountryTrust
from content.directory import Listing, ListingCategory, ListingLanguage
from content.events import Event, EventAttendance
from content.group_threads import GroupPost
from content.groups import Group, GroupBan, GroupModerator
from content.home_feed import FeedEntry, HomeFeed
from content.idempotency import IdempotencyKey
from content.interactions import Interaction
from content.invites import Invite
from content.markers import Marker
from content.media import MediaAttachment
from content.notification_policy import NotificationPolicy, RequestAnswer
from content.notifications import Notification
from content.oauth import AccessToken, AuthorizationCode, OAuthApp
from content.orm import Base
from content.personas import Persona
from content.polls import Poll, PollVote
from content.post_edits import PostEdit
from content.posts import Mention, Post, PostTag
from content.push_subscriptions import PushSubscription
from content.relationships import Follow
from content.timeline_lists import TimelineList, TimelineListMember
from content.two_factor import RecoveryCode
from content.users import User
from content.web_sessions import WebSession

__all__ = [
    "AccessToken",
    "Account",
    "AccountStats",
    "AuthorizationCode",
    "Base",
    "Bookmark",
    "Conversation",
    "Correction",
    "CountryPage",
    "CountryRevision",
    "CountryTrust",
    "Event",
    "EventAttendance",
    "FeedEntry",
    "Follow",
    "Group",
    "GroupBan",
    "GroupModerator",
    "GroupPost",
    "HomeFeed",
    "IdempotencyKey",
    "Interaction",
    "Invite",
    "Listing",
    "ListingCategory",
    "ListingLanguage",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Notification",
    "NotificationPolicy",
    "OAuthApp",
    "Persona",
    "Poll",
    "PollVote",
    "PushSubscription",
    "Post",
    "PostEdit",
    "PostTag",
    "RecoveryCode",
    "SentCorrection",
    "RequestAnswer",
    "TimelineList",
    "TimelineListMember",
    "User",
    "WebSession",
]
