"""Typed settings, read explicitly from the environment and an optional TOML file."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from activitypub.hostnames import InvalidHost, canonical_host
from content.event_fields import zone_of
from content.languages import language_tag
from content.retention import Retention
from moderation.policy import FederationMode
from moderation.published_lists import Readers
from moderation.quarantine import DEFAULT_DAYS as DEFAULT_QUARANTINE_DAYS

E = TypeVar("E", bound=StrEnum)
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")
_USERNAME = re.compile(r"^[a-z0-9_]{1,30}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


DEFAULT_QUICK_EXIT_URL = "https://www.yr.no/"
EXITS = "HARBOUR_QUICK_EXIT_URLS"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line that says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything a node needs to know to start. Build it with `Settings.load()`."""

    domain: str
    database_url: str = field(repr=False)
    data_dir: Path
    secret_key: str = field(repr=False)
    federation_mode: FederationMode = FederationMode.ALLOWLIST
    development: bool = False
    listen_host: str = "127.0.0.1"
    listen_port: int = 8000
    organisation_username: str = "organisation"
    organisation_name: str = "Harbour"
    # The IANA time zone pages show times in, unless a reader chose another.
    time_zone: str = "UTC"
    # Development only: host names resolved to fixed addresses, e.g. {"node-a.test": "127.0.0.1"}
    dev_hosts: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    # ActivityPub GETs of actors, posts and collections need a signature (on by default).
    authorized_fetch: bool = True
    # Accounts made with an invite wait for a moderator's approval before they can sign in.
    registration_approval: bool = False
    # Signed-out visitors may suggest corrections to listings and country pages (members may).
    corrections_from_visitors: bool = False
    # Where the quick exit leaves for: a neutral page that says nothing about Harbour.
    quick_exit_url: str = DEFAULT_QUICK_EXIT_URL
    # Where it leaves for in a reader's language, by language tag, e.g. {"ro": "https://..."}.
    quick_exit_urls: Mapping[str, str] = field(default_factory=dict)
    # Days direct messages and members-only group posts are kept; None keeps them.
    retention_direct_days: int | None = None
    retention_group_days: int | None = None
    # MiB of remote media (attachments, avatars, headers) the media proxy keeps on disk.
    media_cache_mib: int = 512
    # Who may read this node's domain blocks: partners (a signed GET from the allowlist).
    blocks_readers: Readers = Readers.PARTNERS
    # Who may read their public reasons (Mastodon's `show_domain_blocks_rationale`).
    blocks_reasons_readers: Readers = Readers.PARTNERS
    # Days a server met for the first time stays in quarantine, in open federation (0: none).
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS
    # Test switches, honoured only in development: retry waits multiplied by this factor,
    # every inbox handler raising (to prove the tests notice a crash), and playing a
    # draft-cavage-only peer (RFC 9421 signatures refused inbound, not made outbound).
    test_retry_scale: float = 1.0
    test_handlers_raise: bool = False
    # Extra interface catalogues (<dir>/<lang>/LC_MESSAGES/messages.po) offered beside the
    # shipped ones: the test suite's pseudo and right-to-left locales. Never shipped.
    test_locales: Path | None = None
    test_cavage_only: bool = False
    # Ready-made key pairs (PEM, private then public) a new node's first accounts take
    # instead of generating their own: the test rig starts hundreds of nodes.
    test_keypairs: Path | None = None
    # Passwords hashed at content.passwords.TEST_COST, as the test suite's own are.
    test_quick_passwords: bool = False

    @property
    def base_url(self) -> str:
        """This node's origin; plain http only in development."""
        return f"{'http' if self.development else 'https'}://{self.domain}"

    @property
    def media_dir(self) -> Path:
        """Where uploaded images (cleaned of metadata) are kept."""
        return self.data_dir / "media"

    @property
    def media_cache_dir(self) -> Path:
        """Where the media proxy keeps remote files (outside media_dir: not backed up)."""
        return self.data_dir / "media-cache"

    @property
    def retention(self) -> Retention:
        """What the worker forgets, and when."""
        return Retention(self.media_dir, self.retention_direct_days, self.retention_group_days)

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, config_file: Path | None = None
    ) -> Settings:
        """Settings from HARBOUR_* variables over the TOML file (HARBOUR_CONFIG), if any."""
        env = dict(os.environ if environ is None else environ)
        path = config_file or (Path(env["HARBOUR_CONFIG"]) if env.get("HARBOUR_CONFIG") else None)
        values = _read_toml(path) if path else {}
        for key, name in _ENV_NAMES.items():
            if env.get(name, "") != "":
                values[key] = env[name]
        return cls._from_values(values)

    @classmethod
    def _from_values(cls, values: dict[str, Any]) -> Settings:
        domain = str(values.get("domain", "")).strip().lower()
        if not domain:
            raise ConfigError(
                "HARBOUR_DOMAIN is not set: give the public host name of this node, "
                "e.g. HARBOUR_DOMAIN=harbour.example.org"
            )
        if "://" in domain or not _DOMAIN.fullmatch(domain) or _canonical(domain) != domain:
            raise ConfigError(
                f"HARBOUR_DOMAIN={domain!r} is not a host name in canonical form: write it like "
                "harbour.example.org or 127.0.0.1:8000, without https://, a path or port 443"
            )
        data_dir = Path(str(values.get("data_dir", "data"))).expanduser().resolve()
        database_url = str(values.get("database_url") or f"sqlite:///{data_dir / 'harbour.db'}")
        if not database_url.startswith(("sqlite:", "sqlite+", "postgresql", "postgres:")):
            raise ConfigError(
                "HARBOUR_DATABASE_URL must be a sqlite:///path or postgresql://user@host/db URL"
            )
        organisation_username = str(values.get("organisation_username", "organisation"))
        if not _USERNAME.fullmatch(organisation_username):
            raise ConfigError(
                "the organisation username is 1 to 30 characters: a-z, 0-9 and underscores"
            )
        development = _flag(values.get("development", False), "HARBOUR_DEVELOPMENT")
        dev_hosts = {
            _canonical(name): address
            for name, address in _pairs(
                values.get("dev_hosts", ""), "HARBOUR_DEV_HOSTS", "name=address"
            ).items()
        }
        if dev_hosts and not development:
            raise ConfigError("HARBOUR_DEV_HOSTS is only honoured with HARBOUR_DEVELOPMENT=true")
        retry_scale = _scale(values.get("test_retry_scale", 1.0))
        handlers_raise = _flag(
            values.get("test_handlers_raise", False), "HARBOUR_TEST_HANDLERS_RAISE"
        )
        test_locales = Path(values["test_locales"]) if values.get("test_locales") else None
        cavage_only = _flag(values.get("test_cavage_only", False), "HARBOUR_TEST_CAVAGE_ONLY")
        keypairs = Path(values["test_keypairs"]) if values.get("test_keypairs") else None
        quick_passwords = _flag(
            values.get("test_quick_passwords") or False, "HARBOUR_TEST_QUICK_PASSWORDS"
        )
        tests_only = (handlers_raise, test_locales, cavage_only, keypairs, quick_passwords)
        if (retry_scale != 1.0 or any(tests_only)) and not development:
            raise ConfigError("HARBOUR_TEST_* settings are only honoured with HARBOUR_DEVELOPMENT")
        return cls(
            domain=domain,
            database_url=database_url,
            data_dir=data_dir,
            secret_key=str(values.get("secret_key") or ""),
            federation_mode=_choice(
                FederationMode,
                values.get("federation_mode", "allowlist"),
                "HARBOUR_FEDERATION_MODE",
            ),
            development=development,
            listen_host=str(values.get("listen_host", "127.0.0.1")),
            listen_port=_port(values.get("listen_port", 8000)),
            organisation_username=organisation_username,
            organisation_name=str(values.get("organisation_name", "Harbour")),
            time_zone=_time_zone(values.get("time_zone", "UTC")),
            dev_hosts=dev_hosts,
            ca_bundle=str(values["ca_bundle"]) if values.get("ca_bundle") else None,
            authorized_fetch=_flag(
                values.get("authorized_fetch", True), "HARBOUR_AUTHORIZED_FETCH"
            ),
            registration_approval=_flag(
                values.get("registration_approval", False), "HARBOUR_REGISTRATION_APPROVAL"
            ),
            corrections_from_visitors=_flag(
                values.get("corrections_from_visitors", False), "HARBOUR_CORRECTIONS_FROM_VISITORS"
            ),
            quick_exit_url=_web_address(values.get("quick_exit_url", DEFAULT_QUICK_EXIT_URL)),
            quick_exit_urls={
                _language(tag): _web_address(url)
                for tag, url in _pairs(
                    values.get("quick_exit_urls", ""), EXITS, "language=address"
                ).items()
            },
            retention_direct_days=_days(
                values.get("retention_direct_days"), "HARBOUR_RETENTION_DIRECT_DAYS"
            ),
            retention_group_days=_days(
                values.get("retention_group_days"), "HARBOUR_RETENTION_GROUP_DAYS"
            ),
            media_cache_mib=_mebibytes(
                values.get("media_cache_mib", 512), "HARBOUR_MEDIA_CACHE_MIB"
            ),
            blocks_readers=_choice(
                Readers, values.get("blocks_readers", "partners"), "HARBOUR_BLOCKS_READERS"
            ),
            blocks_reasons_readers=_choice(
                Readers,
                values.get("blocks_reasons_readers", "partners"),
                "HARBOUR_BLOCKS_REASONS_READERS",
            ),
            quarantine_days=_days(
                values.get("quarantine_days", DEFAULT_QUARANTINE_DAYS), "HARBOUR_QUARANTINE_DAYS"
            )
            or 0,
            test_retry_scale=retry_scale,
            test_handlers_raise=handlers_raise,
            test_locales=test_locales,
            test_cavage_only=cavage_only,
            test_keypairs=keypairs,
            test_quick_passwords=quick_passwords,
        )

    def with_secret_key(self) -> Settings:
        """These settings with a secret key: the configured one, else one kept in data_dir.

        The generated key is written once, readable by the owner only, and never logged.
        """
        if self.secret_key:
            return self
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        key = path.read_text().strip()
        if len(key) < 32:
            raise ConfigError(f"{path} holds a secret key shorter than 32 characters")
        return replace(self, secret_key=key)


_ENV_NAMES = {
    "domain": "HARBOUR_DOMAIN",
    "database_url": "HARBOUR_DATABASE_URL",
    "data_dir": "HARBOUR_DATA_DIR",
    "secret_key": "HARBOUR_SECRET_KEY",
    "federation_mode": "HARBOUR_FEDERATION_MODE",
    "development": "HARBOUR_DEVELOPMENT",
    "listen_host": "HARBOUR_LISTEN_HOST",
    "listen_port": "HARBOUR_LISTEN_PORT",
    "organisation_username": "HARBOUR_ORGANISATION_USERNAME",
    "organisation_name": "HARBOUR_ORGANISATION_NAME",
    "time_zone": "HARBOUR_TIME_ZONE",
    "dev_hosts": "HARBOUR_DEV_HOSTS",
    "ca_bundle": "HARBOUR_CA_BUNDLE",
    "authorized_fetch": "HARBOUR_AUTHORIZED_FETCH",
    "registration_approval": "HARBOUR_REGISTRATION_APPROVAL",
    "corrections_from_visitors": "HARBOUR_CORRECTIONS_FROM_VISITORS",
    "quick_exit_url": "HARBOUR_QUICK_EXIT_URL",
    "quick_exit_urls": EXITS,
    "retention_direct_days": "HARBOUR_RETENTION_DIRECT_DAYS",
    "quarantine_days": "HARBOUR_QUARANTINE_DAYS",
    "blocks_readers": "HARBOUR_BLOCKS_READERS",
    "blocks_reasons_readers": "HARBOUR_BLOCKS_REASONS_READERS",
    "retention_group_days": "HARBOUR_RETENTION_GROUP_DAYS",
    "media_cache_mib": "HARBOUR_MEDIA_CACHE_MIB",
    "test_retry_scale": "HARBOUR_TEST_RETRY_SCALE",
    "test_handlers_raise": "HARBOUR_TEST_HANDLERS_RAISE",
    "test_locales": "HARBOUR_TEST_LOCALES",
    "test_cavage_only": "HARBOUR_TEST_CAVAGE_ONLY",
    "test_keypairs": "HARBOUR_TEST_KEYPAIRS",
    "test_quick_passwords": "HARBOUR_TEST_QUICK_PASSWORDS",
}


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only a node with a settings file reads TOML

    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"the configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(document) - set(_ENV_NAMES))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(_ENV_NAMES)}")
    return document


def _canonical(host: str) -> str:
    try:
        return canonical_host(host)
    except InvalidHost:
        return ""


def _pairs(value: Any, setting: str, form: str) -> dict[str, str]:
    """`key=value,key=value` (or a TOML table) as a mapping, keys in lower case."""
    if isinstance(value, dict):
        return {str(k).strip().lower(): str(v) for k, v in value.items()}
    mapping = {}
    for pair in (p.strip() for p in str(value).split(",") if p.strip()):
        key, sep, item = pair.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise ConfigError(f"{setting} entries are {form}, not {pair!r}")
        mapping[key.strip().lower()] = item.strip()
    return mapping


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _language(value: str) -> str:
    tag = language_tag(value)
    if tag is None:
        raise ConfigError(f"{EXITS} names languages by tag (ro, pt-BR), not {value!r}")
    return tag


def _web_address(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"https?://[^\s/?#]+(/\S*)?", text):
        raise ConfigError(
            f"the quick exit must be a web address like https://www.yr.no/, not {text!r}"
        )
    return text


def _scale(value: Any) -> float:
    try:
        scale = float(value)
    except (TypeError, ValueError):
        scale = -1.0
    if not 0 < scale <= 1:
        raise ConfigError(f"HARBOUR_TEST_RETRY_SCALE must be above 0 and at most 1, not {value!r}")
    return scale


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(
            f"HARBOUR_LISTEN_PORT must be a port number from 1 to 65535, not {value!r}"
        )
    return port


def _days(value: Any, name: str) -> int | None:
    """A number of days, or None (off) for nothing, 0 or "off"."""
    if value is None or str(value).strip().lower() in {"", "0", "off"}:
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if not 0 < days <= 36500:
        raise ConfigError(f"{name} must be a number of days (or off), not {value!r}")
    return days


def _mebibytes(value: Any, name: str) -> int:
    """A size in MiB, at least 16 (one file of the largest the proxy fetches)."""
    try:
        size = int(str(value).strip())
    except ValueError:
        size = -1
    if not 16 <= size <= 10_000_000:
        raise ConfigError(f"{name} must be a number of MiB, at least 16, not {value!r}")
    return size


def _choice(enum: type[E], value: Any, name: str) -> E:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = " or ".join(member.value for member in enum)
        raise ConfigError(f"{name} must be {allowed}, not {value!r}") from None


def _time_zone(value: object) -> str:
    name = str(value).strip()
    if zone_of(name) is None:
        raise ConfigError(
            f"HARBOUR_TIME_ZONE={name!r} is not an IANA time zone: write it like Europe/Bucharest"
        )
    return name
