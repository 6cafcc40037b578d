"""WebFinger: account addresses and the JRD that leads from one to an actor."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub import (
    ACTIVITY_JSON,
    LD_JSON_PROFILE,
    Acct,
    InvalidDocument,
    build_jrd,
    parse_acct,
    self_link,
)

ACTOR = "https://harbour.test/users/ada"


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:ada@harbour.test", Acct("ada", "harbour.test")),
        ("ada@harbour.test", Acct("ada", "harbour.test")),
        ("@ada@harbour.test", Acct("ada", "harbour.test")),
        ("  acct:ada@harbour.test\n", Acct("ada", "harbour.test")),
        ("acct:ada@127.0.0.1:8080", Acct("ada", "127.0.0.1:8080")),
        ("acct:ada@Harbour.TEST", Acct("ada", "harbour.test")),
        ("acct:Ada_B.c~d-e@harbour.test", Acct("Ada_B.c~d-e", "harbour.test")),
    ],
)
def test_parse_acct_reads_every_address_form(resource: str, expected: Acct) -> None:
    assert parse_acct(resource) == expected


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "ada",
        "@ada",
        "acct:ada@",
        "acct:@harbour.test",
        "https://harbour.test/users/ada",
        "https://harbour.test/@ada",
        "ada@harbour.test/path",
        "ada@harbour.test?x=1",
        "a da@harbour.test",
        "ada@evil.example@harbour.test",
        "<script>@harbour.test",
        "ada@" + "h" * 300,
    ],
)
def test_parse_acct_rejects_what_is_not_an_address(resource: str) -> None:
    with pytest.raises(InvalidDocument, match="is not an account address of the form user@host"):
        parse_acct(resource)


def test_parse_acct_rejects_a_newline_inside_the_address() -> None:
    with pytest.raises(InvalidDocument):
        parse_acct("ada\n@harbour.test")


def test_an_acct_prints_as_its_uri() -> None:
    assert str(Acct("ada", "127.0.0.1:8080")) == "acct:ada@127.0.0.1:8080"


def test_build_jrd_points_at_the_actor_and_the_profile_page() -> None:
    jrd = build_jrd(
        Acct("ada", "harbour.test"), actor_id=ACTOR, profile_url="https://harbour.test/@ada"
    )

    assert jrd["subject"] == "acct:ada@harbour.test"
    assert jrd["aliases"] == [ACTOR, "https://harbour.test/@ada"]
    assert {"rel": "self", "type": ACTIVITY_JSON, "href": ACTOR} in jrd["links"]
    assert {
        "rel": "http://webfinger.net/rel/profile-page",
        "type": "text/html",
        "href": "https://harbour.test/@ada",
    } in jrd["links"]
    assert self_link(jrd) == ACTOR


def test_build_jrd_lists_an_alias_once_when_the_profile_is_the_actor() -> None:
    jrd = build_jrd(Acct("ada", "harbour.test"), actor_id=ACTOR, profile_url=ACTOR)

    assert jrd["aliases"] == [ACTOR]


def test_self_link_accepts_the_activitystreams_ld_json_profile() -> None:
    jrd = {
        "subject": "acct:ada@other.example",
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "x"},
            {"rel": "self", "type": LD_JSON_PROFILE, "href": ACTOR},
        ],
    }

    assert self_link(jrd) == ACTOR


def test_self_link_skips_self_links_of_other_types() -> None:
    jrd = {
        "links": [
            {"rel": "self", "type": "text/html", "href": "https://harbour.test/@ada"},
            {"rel": "self", "type": "application/ld+json", "href": "https://x.example/ld"},
            {"rel": "self", "type": f"{ACTIVITY_JSON}; charset=utf-8", "href": ACTOR},
        ]
    }

    assert self_link(jrd) == ACTOR


@pytest.mark.parametrize(
    "jrd",
    [
        {},
        {"links": []},
        {"links": "self"},
        {"links": [{"rel": "self", "href": ACTOR}]},
        {"links": [{"rel": "self", "type": ACTIVITY_JSON}]},
        {"links": [{"rel": "self", "type": ACTIVITY_JSON, "href": ["x"]}]},
        {"links": [{"rel": "http://webfinger.net/rel/profile-page", "type": ACTIVITY_JSON}]},
        {"links": ["self"]},
        [],
    ],
)
def test_self_link_rejects_a_jrd_without_an_activitypub_self_link(jrd: Any) -> None:
    with pytest.raises(InvalidDocument, match="no self link to an ActivityPub actor"):
        self_link(jrd)
