"""Settings from the environment and a TOML file, and the one-line errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.settings import ConfigError, FederationMode, Settings


def test_defaults_are_safe_and_embedded(tmp_path: Path) -> None:
    settings = Settings.load(
        {"HARBOUR_DOMAIN": "Harbour.Example.org", "HARBOUR_DATA_DIR": str(tmp_path)}
    )
    assert settings.domain == "harbour.example.org"
    assert settings.base_url == "https://harbour.example.org"
    assert settings.database_url == f"sqlite:///{tmp_path / 'harbour.db'}"
    assert settings.federation_mode == FederationMode.ALLOWLIST
    assert settings.development is False
    assert settings.quick_exit_url == "https://www.yr.no/" and settings.quick_exit_urls == {}
    assert settings.authorized_fetch is True  # nobody crawls a node without a signature


def test_the_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "harbour.toml"
    config.write_text('domain = "a.example"\ndevelopment = true\nfederation_mode = "open"\n')
    settings = Settings.load({"HARBOUR_CONFIG": str(config), "HARBOUR_DOMAIN": "b.example:8443"})
    assert settings.domain == "b.example:8443"
    assert settings.base_url == "http://b.example:8443"
    assert settings.federation_mode == FederationMode.OPEN


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "HARBOUR_DOMAIN is not set"),
        ({"HARBOUR_DOMAIN": "https://a.example"}, "without https://"),
        ({"HARBOUR_DOMAIN": "a.example/path"}, "is not a host name"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_DATABASE_URL": "mysql://x"}, "sqlite:///path"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_FEDERATION_MODE": "closed"}, "open or allowlist"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_DEVELOPMENT": "maybe"}, "true or false"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_LISTEN_PORT": "99999"}, "port number"),
        (
            {"HARBOUR_DOMAIN": "a.example", "HARBOUR_TEST_KEYPAIRS": "/tmp/keys.pem"},
            "only honoured with HARBOUR_DEVELOPMENT",
        ),
        (
            {"HARBOUR_DOMAIN": "a.example", "HARBOUR_TEST_QUICK_PASSWORDS": "true"},
            "only honoured with HARBOUR_DEVELOPMENT",
        ),
        ({"HARBOUR_CONFIG": "/nonexistent/harbour.toml"}, "does not exist"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_QUICK_EXIT_URL": "yr.no"}, "web address"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_QUICK_EXIT_URL": "javascript:x"}, "web address"),
        ({"HARBOUR_DOMAIN": "a.example", "HARBOUR_QUICK_EXIT_URLS": "ro"}, "language=address"),
        (
            {"HARBOUR_DOMAIN": "a.example", "HARBOUR_QUICK_EXIT_URLS": "123=https://a.example/"},
            "names languages by tag",
        ),
    ],
)
def test_bad_settings_explain_themselves_in_one_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.load(environ)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_or_malformed_toml_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "harbour.toml"
    config.write_text('domian = "a.example"\n')
    with pytest.raises(ConfigError, match="unknown setting 'domian'"):
        Settings.load({"HARBOUR_CONFIG": str(config)})
    config.write_text("domain = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load({"HARBOUR_CONFIG": str(config)})


def test_a_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings.load({"HARBOUR_DOMAIN": "a.example", "HARBOUR_DATA_DIR": str(tmp_path)})
    first = settings.with_secret_key()
    second = settings.with_secret_key()
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert first.secret_key not in repr(first)


def test_the_media_cache_is_half_a_gibibyte_unless_set_and_never_below_one_file() -> None:
    base = {"HARBOUR_DOMAIN": "harbour.example.org"}
    assert Settings.load(base).media_cache_mib == 512
    assert Settings.load({**base, "HARBOUR_MEDIA_CACHE_MIB": "64"}).media_cache_mib == 64
    for wrong in ("8", "lots"):
        with pytest.raises(ConfigError, match="HARBOUR_MEDIA_CACHE_MIB must be a number of MiB"):
            Settings.load({**base, "HARBOUR_MEDIA_CACHE_MIB": wrong})
