"""OAuth 2 for client apps: registered apps, authorization codes (with PKCE) and tokens.

Secrets, codes and tokens are stored as SHA-256 digests only; each is shown once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, Text, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import personas
from content.accounts import Account
from content.interface_text import N_, Message
from content.orm import Base, new_id, utcnow
from content.token_cache import Grant, TokenCache
from content.users import User

TOP_SCOPES = ("read", "write", "follow", "push", "admin:read", "admin:write")
OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)


class OAuthError(ValueError):
    """An OAuth request cannot be granted; `error` is the RFC 6749 error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


class OAuthApp(Base):
    """A client app (Tusky, toot, ...) registered with this node."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(2048))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    redirect_uris: Mapped[str] = mapped_column(Text)  # one per line
    scopes: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessToken(Base):
    """A bearer token: of a login (`account_id`, its own account), or of the app alone
    (client credentials). It acts as `acting_id`, an identity the login chose on the consent
    page (`content.personas`), or as the login's own account."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    acting_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AuthorizationCode(Base):
    """A code the authorize page hands to an app, exchanged once for a token."""

    __tablename__ = "authorization_codes"

    code_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    acting_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[str] = mapped_column(String(1024))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime]


GRANULAR = {
    "read": {"accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
             "mutes", "notifications", "search", "statuses"},
    "write": {"accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
              "follows", "lists", "media", "mutes", "notifications", "reports", "statuses"},
}  # fmt: skip
# The legacy `follow` scope grants what the granular follows, blocks and mutes scopes grant.
FOLLOW_GRANTS = {f"{verb}:{what}" for verb in GRANULAR for what in ("follows", "blocks", "mutes")}


def parse_scopes(text: str | None, default: str = "read") -> list[str]:
    """Scopes from a space- or plus-separated string; unknown ones are an error."""
    scopes = [s for s in (text or default).replace("+", " ").split() if s]
    for scope in scopes:
        if not _known(scope):
            raise OAuthError("invalid_scope", Message(N_("unknown scope “%(scope)s”"), scope=scope))
    return list(dict.fromkeys(scopes))


ADMIN_PARTS = {"accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
               "email_domain_blocks", "canonical_email_blocks"}  # fmt: skip


def _known(scope: str) -> bool:
    base, _, part = scope.partition(":")
    if base == "admin":
        verb, _, what = part.partition(":")
        return verb in ("read", "write") and (not what or what in ADMIN_PARTS)
    if not part:
        return base in ("read", "write", "follow", "push", "profile")
    return part in GRANULAR.get(base, set())


def covers(granted: str, needed: str) -> bool:
    """Whether granted scopes include `needed`: `read` covers `read:statuses` (and
    `admin:read` covers `admin:read:reports`), `follow` the
    follows, blocks and mutes scopes, and `profile` (identity only) is in `read:accounts`."""
    scopes = set(granted.split())
    parts = needed.split(":")
    if any(":".join(parts[:end]) in scopes for end in range(1, len(parts) + 1)):
        return True
    if needed == "profile":
        return bool(scopes & {"read", "read:accounts"})
    return needed in FOLLOW_GRANTS and "follow" in scopes


def register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    website: str | None,
) -> tuple[OAuthApp, str]:
    """Register an app; returns it with its client secret (the only time it is known)."""
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        name=name[:255],
        website=website,
        client_id=secrets.token_urlsafe(32),
        secret_sha256=_digest(secret),
        redirect_uris="\n".join(redirect_uris),
        scopes=" ".join(scopes),
    )
    session.add(app)
    return app, secret


async def app_by_client_id(session: AsyncSession, client_id: str) -> OAuthApp:
    """The app with this client id, or OAuthError invalid_client."""
    app = await session.scalar(select(OAuthApp).where(OAuthApp.client_id == client_id))
    if app is None:
        raise OAuthError("invalid_client", N_("unknown client_id"))
    return app


def check_secret(app: OAuthApp, secret: str) -> None:
    """Raise invalid_client unless `secret` is the app's secret."""
    if not hmac.compare_digest(app.secret_sha256, _digest(secret)):
        raise OAuthError("invalid_client", N_("wrong client_secret"))


def check_request(app: OAuthApp, redirect_uri: str, scopes: list[str]) -> None:
    """The redirect URI must be registered and the scopes within the app's."""
    if redirect_uri not in app.redirect_uris.split("\n"):
        raise OAuthError("invalid_request", N_("redirect_uri is not registered for this app"))
    allowed = app.scopes.split()
    for scope in scopes:
        if not covers(" ".join(allowed), scope):
            raise OAuthError(
                "invalid_scope",
                Message(N_("the app did not register the scope “%(scope)s”"), scope=scope),
            )


def issue_token(
    session: AsyncSession,
    app: OAuthApp,
    account: Account | None,
    scopes: list[str],
    *,
    acting: Account | None = None,
) -> tuple[AccessToken, str]:
    """A new bearer token of a login (`account`, its own account), acting as `acting` if
    that is another of its identities; returns the row and the token (the only time it is
    known)."""
    token = secrets.token_urlsafe(32)
    row = AccessToken(
        token_sha256=_digest(token),
        app_id=app.id,
        account_id=account.id if account else None,
        acting_id=acting.id if acting and account and acting.id != account.id else None,
        scopes=" ".join(scopes),
    )
    session.add(row)
    return row, token


# `token_owner`'s statement, built once (building and keying it anew cost every API request).
_TOKEN_OWNER = (
    select(AccessToken, Account)
    .outerjoin(Account, Account.id == AccessToken.account_id)
    .where(AccessToken.token_sha256 == bindparam("digest"), AccessToken.revoked_at.is_(None))
)


async def token_owner(session: AsyncSession, token: str) -> tuple[AccessToken, Account | None]:
    """The live token and the account it acts as, or OAuthError invalid_token (also when
    its login may no longer act as the identity it was granted for)."""
    # The token and its login's account in one statement: every API request asks this.
    found = (await session.execute(_TOKEN_OWNER, {"digest": _digest(token)})).first()
    if found is None:
        raise OAuthError("invalid_token", N_("The access token is invalid"))
    row, account = found
    if account is not None and account.is_gone:
        raise OAuthError("invalid_token", N_("The access token is invalid"))
    if account is not None and row.acting_id is not None:
        account = await _acting(session, account, row.acting_id)
    return row, account


async def grant_of(session: AsyncSession, token: str, cache: TokenCache) -> Grant:
    """What a live token grants, remembered in `cache` (`content.token_cache`) if it is of a
    login acting as itself; or OAuthError invalid_token, as `token_owner` says."""
    digest = _digest(token)
    found = cache.get(digest)
    if found is not None:
        return found
    epoch = cache.epoch  # before the read: an invalidation heard during it wins
    row, account = await token_owner(session, token)
    found = Grant(row.id, row.app_id, account.id if account else None, row.scopes)
    if account is not None and row.acting_id is None:
        cache.keep(digest, found, epoch)
    return found


async def _acting(session: AsyncSession, login: Account, acting_id: int) -> Account:
    """The identity a token or code of the login acts as, if the login still holds it."""
    user = await session.get(User, login.id)
    acting = await session.get(Account, acting_id)
    if user is None or acting is None or not await personas.may_act_as(session, user, acting):
        raise OAuthError("invalid_token", N_("The access token is invalid"))
    return acting


async def revoke(session: AsyncSession, app: OAuthApp, token: str) -> None:
    """Revoke one of the app's tokens (unknown tokens are ignored, per RFC 7009)."""
    row = await session.scalar(
        select(AccessToken).where(
            AccessToken.token_sha256 == _digest(token), AccessToken.app_id == app.id
        )
    )
    if row is not None:
        row.revoked_at = utcnow()


async def revoke_all(session: AsyncSession, account_id: int, app_id: int | None = None) -> None:
    """Revoke every live token of the account (only the app's, with `app_id`) and drop its
    unused authorization codes."""
    tokens = update(AccessToken).where(
        AccessToken.account_id == account_id, AccessToken.revoked_at.is_(None)
    )
    codes = delete(AuthorizationCode).where(AuthorizationCode.account_id == account_id)
    if app_id is not None:
        tokens = tokens.where(AccessToken.app_id == app_id)
        codes = codes.where(AuthorizationCode.app_id == app_id)
    await session.execute(tokens.values(revoked_at=utcnow()))
    await session.execute(codes)


async def revoke_acting(session: AsyncSession, account_id: int, acting_ids: list[int]) -> None:
    """Revoke the login's live tokens (and drop its unused codes) that act as one of
    `acting_ids`: it may no longer act as them (a staff member lost the organisation)."""
    await session.execute(
        update(AccessToken)
        .where(
            AccessToken.account_id == account_id,
            AccessToken.acting_id.in_(acting_ids),
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    await session.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.account_id == account_id,
            AuthorizationCode.acting_id.in_(acting_ids),
        )
    )


async def authorised_apps(
    session: AsyncSession, account_id: int
) -> list[tuple[OAuthApp, datetime]]:
    """The apps holding a live token of the account, with when the first was issued."""
    rows = await session.execute(
        select(OAuthApp, func.min(AccessToken.created_at))
        .join(AccessToken, AccessToken.app_id == OAuthApp.id)
        .where(AccessToken.account_id == account_id, AccessToken.revoked_at.is_(None))
        .group_by(OAuthApp.id)
        .order_by(OAuthApp.name)
    )
    return [(app, first) for app, first in rows]


def create_code(
    session: AsyncSession,
    app: OAuthApp,
    account: Account,
    *,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str | None,
    acting: Account | None = None,
) -> str:
    """A one-time authorization code for the app, valid ten minutes: for the login
    `account`, acting as `acting` (another of its identities, checked by the caller)."""
    code = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_sha256=_digest(code),
            app_id=app.id,
            account_id=account.id,
            acting_id=acting.id if acting and acting.id != account.id else None,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    return code


async def redeem_code(
    session: AsyncSession,
    app: OAuthApp,
    code: str,
    *,
    redirect_uri: str,
    code_verifier: str | None,
) -> tuple[Account, Account, list[str]]:
    """Exchange a code (once) for its login, the identity it acts as, and its scopes,
    checking PKCE (S256)."""
    row = await session.get(AuthorizationCode, _digest(code))
    if row is None or row.app_id != app.id or row.expires_at < utcnow():
        raise OAuthError("invalid_grant", N_("the authorization code is invalid or expired"))
    await session.delete(row)
    if row.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", N_("redirect_uri does not match the authorization"))
    if row.code_challenge is not None:
        verifier = (code_verifier or "").encode("ascii", "replace")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if not hmac.compare_digest(challenge.decode("ascii"), row.code_challenge):
            raise OAuthError("invalid_grant", N_("the PKCE code_verifier does not match"))
    account = await session.get(Account, row.account_id)
    if account is None or account.is_gone:
        raise OAuthError("invalid_grant", N_("the account is gone"))
    acting = account
    if row.acting_id is not None:
        try:
            acting = await _acting(session, account, row.acting_id)
        except OAuthError:
            raise OAuthError("invalid_grant", N_("the account is gone")) from None
    return account, acting, row.scopes.split()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
