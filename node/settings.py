"""Typed settings, read explicitly from the environment and an optional TOML file."""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from moderation.policy import FederationMode

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")
_USERNAME = re.compile(r"^[a-z0-9_]{1,30}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


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
    # Development only: host names resolved to fixed addresses, e.g. {"node-a.test": "127.0.0.1"}
    dev_hosts: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    authorized_fetch: bool = False
    # Accounts made with an invite wait for a moderator's approval before they can sign in.
    registration_approval: bool = False
    # Test switches, honoured only in development: retry waits multiplied by this factor,
    # and every inbox handler raising (to prove the tests notice a crash).
    test_retry_scale: float = 1.0
    test_handlers_raise: bool = False

    @property
    def base_url(self) -> str:
        """This node's origin; plain http only in development."""
        return f"{'http' if self.development else 'https'}://{self.domain}"

    @property
    def media_dir(self) -> Path:
        """Where uploaded images (cleaned of metadata) are kept."""
        return self.data_dir / "media"

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
        if "://" in domain or not _DOMAIN.fullmatch(domain):
            raise ConfigError(
                f"HARBOUR_DOMAIN={domain!r} is not a host name: write it like harbour.example.org "
                "or 127.0.0.1:8000, without https:// or a path"
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
        dev_hosts = _host_map(values.get("dev_hosts", ""))
        if dev_hosts and not development:
            raise ConfigError("HARBOUR_DEV_HOSTS is only honoured with HARBOUR_DEVELOPMENT=true")
        retry_scale = _scale(values.get("test_retry_scale", 1.0))
        handlers_raise = _flag(
            values.get("test_handlers_raise", False), "HARBOUR_TEST_HANDLERS_RAISE"
        )
        if (retry_scale != 1.0 or handlers_raise) and not development:
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
            dev_hosts=dev_hosts,
            ca_bundle=str(values["ca_bundle"]) if values.get("ca_bundle") else None,
            authorized_fetch=_flag(
                values.get("authorized_fetch", False), "HARBOUR_AUTHORIZED_FETCH"
            ),
            registration_approval=_flag(
                values.get("registration_approval", False), "HARBOUR_REGISTRATION_APPROVAL"
            ),
            test_retry_scale=retry_scale,
            test_handlers_raise=handlers_raise,
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
    "dev_hosts": "HARBOUR_DEV_HOSTS",
    "ca_bundle": "HARBOUR_CA_BUNDLE",
    "authorized_fetch": "HARBOUR_AUTHORIZED_FETCH",
    "registration_approval": "HARBOUR_REGISTRATION_APPROVAL",
    "test_retry_scale": "HARBOUR_TEST_RETRY_SCALE",
    "test_handlers_raise": "HARBOUR_TEST_HANDLERS_RAISE",
}


def _read_toml(path: Path) -> dict[str, Any]:
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


def _host_map(value: Any) -> dict[str, str]:
    """`name=address,name=address` (or a TOML table) as a mapping."""
    if isinstance(value, dict):
        return {str(k).lower(): str(v) for k, v in value.items()}
    pairs = [p.strip() for p in str(value).split(",") if p.strip()]
    mapping = {}
    for pair in pairs:
        name, sep, address = pair.partition("=")
        if not sep or not name.strip() or not address.strip():
            raise ConfigError(f"HARBOUR_DEV_HOSTS entries are name=address, not {pair!r}")
        mapping[name.strip().lower()] = address.strip()
    return mapping


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ConfigError(f"{name} must be true or false, not {value!r}")


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


def _choice(enum: type[FederationMode], value: Any, name: str) -> FederationMode:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = " or ".join(member.value for member in enum)
        raise ConfigError(f"{name} must be {allowed}, not {value!r}") from None
