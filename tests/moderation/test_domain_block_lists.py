"""Mastodon's domain-block CSV, as shared blocklists (FediBlockHole and others) use it."""

from __future__ import annotations

import pytest

from moderation.domain_blocks import (
    BlockTerms,
    DomainBlock,
    DomainBlockError,
    Severity,
    parse_csv,
    to_csv,
)
from moderation.domain_names import candidates, names_a_server, normalise, site_of

MASTODON_EXPORT = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
hostile.example,suspend,false,false,Harassment campaign,false
noisy.example,silence,true,false,"Spam, mostly",false
pics.example,noop,true,true,,false
"""


def test_a_mastodon_export_is_read_as_it_was_written() -> None:
    assert parse_csv(MASTODON_EXPORT) == [
        BlockTerms("hostile.example", Severity.SUSPEND, public_comment="Harassment campaign"),
        BlockTerms("noisy.example", Severity.SILENCE, reject_media=True,
                   public_comment="Spam, mostly"),
        BlockTerms("pics.example", Severity.NOOP, reject_media=True, reject_reports=True),
    ]  # fmt: skip


def test_export_then_import_gives_the_same_blocks_without_private_comments() -> None:
    rows = [
        DomainBlock(domain="a.example", severity="suspend", reject_media=False,
                    reject_reports=True, public_comment="why", private_comment="secret",
                    obfuscate=False),
    ]  # fmt: skip
    text = to_csv(rows)
    assert "secret" not in text
    assert parse_csv(text) == [BlockTerms("a.example", Severity.SUSPEND, reject_reports=True,
                                          public_comment="why")]  # fmt: skip


def test_a_plain_list_of_domains_suspends_each() -> None:
    assert [t.domain for t in parse_csv("one.example\n\ntwo.example\n")] == [
        "one.example",
        "two.example",
    ]
    assert {t.severity for t in parse_csv("one.example\n")} == {Severity.SUSPEND}


@pytest.mark.parametrize(
    ("line", "problem"),
    [("bad.example,obliterate,false,false,,false", "line 2"),
     ("bad.example,suspend,maybe,false,,false", "line 2")],
)  # fmt: skip
def test_a_line_that_cannot_be_read_is_named(line: str, problem: str) -> None:
    with pytest.raises(DomainBlockError, match=problem):
        parse_csv(
            f"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n{line}"
        )


def test_a_rule_covers_sub_domains_and_ports_but_never_a_whole_top_level_domain() -> None:
    assert candidates("Social.Hostile.Example:8443") == {
        "social.hostile.example:8443",
        "social.hostile.example",
        "hostile.example",
    }


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("A.B.Hostile.Example:8443", "hostile.example"),
        ("hostile.example", "hostile.example"),
        ("news.bbc.co.uk", "bbc.co.uk"),  # under a public suffix of two labels
        ("alice.github.io", "alice.github.io"),  # a suffix anyone can register under
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]:8000", "[::1]"),
        ("localhost", "localhost"),
    ],
)
def test_per_server_limits_count_by_the_registrable_domain(host: str, site: str) -> None:
    assert site_of(host) == site


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("EXAMPLE.com.", "example.com"),
        ("ÉVIL.example", "xn--vil-9la.example"),
        ("XN--VIL-9LA.EXAMPLE", "xn--vil-9la.example"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("https://example.com:443/users/x", "example.com"),
        ("example.com:8443", "example.com:8443"),
        ("*.example.com", None),  # no host is written so: the block would block nothing
        (".example.com", None),
        ("example..com", None),
        ("example.com..", None),
        ("mallory@example.com", None),
        ("exa mple.com", None),
    ],
)
def test_a_rule_is_a_host_as_ids_write_it_or_refused(typed: str, rule: str | None) -> None:
    name = normalise(typed)
    assert (name if names_a_server(name) else None) == rule
