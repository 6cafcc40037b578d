"""NodeInfo 2.0 and 2.1: the discovery links, building and strict parsing."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub import (
    InvalidDocument,
    NodeInfo,
    Usage,
    build_nodeinfo,
    discovery_document,
    parse_nodeinfo,
)


def _info(version: str) -> NodeInfo:
    return NodeInfo(
        version=version,
        software_name="harbour",
        software_version="0.1.0",
        protocols=("activitypub",),
        open_registrations=False,
        usage=Usage(users_total=3, users_active_month=2, users_active_halfyear=3, local_posts=7),
        metadata={"nodeName": "Harbour test"},
    )


def _mastodon_nodeinfo() -> dict[str, Any]:
    return {
        "version": "2.0",
        "software": {"name": "mastodon", "version": "4.3.2"},
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {"total": 2741, "activeMonth": 512, "activeHalfyear": 1024},
            "localPosts": 99012,
        },
        "openRegistrations": True,
        "metadata": {"nodeName": "social.example", "nodeDescription": ""},
    }


def test_discovery_links_to_both_versions() -> None:
    assert discovery_document("https://harbour.test") == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "https://harbour.test/nodeinfo/2.0",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": "https://harbour.test/nodeinfo/2.1",
            },
        ]
    }


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_a_built_document_parses_back(version: str) -> None:
    document = build_nodeinfo(_info(version))

    assert document["version"] == version
    assert document["software"] == {"name": "harbour", "version": "0.1.0"}
    assert document["openRegistrations"] is False
    assert document["usage"] == {
        "users": {"total": 3, "activeMonth": 2, "activeHalfyear": 3},
        "localPosts": 7,
    }
    assert document["services"] == {"inbound": [], "outbound": []}
    assert parse_nodeinfo(document) == _info(version)


def test_build_refuses_a_version_it_does_not_serve() -> None:
    with pytest.raises(ValueError, match="unsupported NodeInfo version 1.0"):
        build_nodeinfo(_info("1.0"))


def test_a_mastodon_document_is_understood() -> None:
    info = parse_nodeinfo(_mastodon_nodeinfo())

    assert (info.software_name, info.software_version) == ("mastodon", "4.3.2")
    assert info.protocols == ("activitypub",)
    assert info.open_registrations is True
    assert info.usage == Usage(2741, 512, 1024, 99012)
    assert info.metadata["nodeName"] == "social.example"


def test_missing_usage_counts_read_as_zero() -> None:
    document = {**_mastodon_nodeinfo(), "usage": {"users": {}}}
    del document["metadata"]

    info = parse_nodeinfo(document)

    assert info.usage == Usage(0, 0, 0, 0)
    assert info.metadata == {}


def _changed(**changes: Any) -> dict[str, Any]:
    document = {**_mastodon_nodeinfo(), **changes}
    return {key: value for key, value in document.items() if value is not None}


@pytest.mark.parametrize(
    "document",
    [
        _changed(version=None),
        _changed(version="1.0"),
        _changed(version=2.0),
        _changed(software=None),
        _changed(software={"name": "mastodon"}),
        _changed(software="mastodon"),
        _changed(protocols=None),
        _changed(usage=None),
        _changed(usage={"localPosts": 3}),
        _changed(usage={"users": [1, 2]}),
        _changed(openRegistrations=None),
        _changed(openRegistrations="yes"),
        {},
        [],
        "nodeinfo",
    ],
)
def test_parse_rejects_what_is_not_nodeinfo_2(document: Any) -> None:
    with pytest.raises(InvalidDocument, match="NodeInfo"):
        parse_nodeinfo(document)


def test_parse_rejects_protocols_that_are_not_a_list() -> None:
    with pytest.raises(InvalidDocument):
        parse_nodeinfo(_changed(protocols="activitypub"))
