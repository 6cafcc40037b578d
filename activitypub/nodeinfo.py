"""NodeInfo 2.0 and 2.1: the discovery document and the node description."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from activitypub.errors import InvalidDocument

VERSIONS = ("2.0", "2.1")
SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"


@dataclass(frozen=True)
class Usage:
    """Usage counts a node publishes."""

    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


@dataclass(frozen=True)
class NodeInfo:
    """The parts of a NodeInfo document Harbour reads."""

    version: str
    software_name: str
    software_version: str
    protocols: tuple[str, ...]
    open_registrations: bool
    usage: Usage
    metadata: Mapping[str, Any] = field(default_factory=dict)


def discovery_document(base_url: str) -> dict[str, Any]:
    """`/.well-known/nodeinfo`: links to each NodeInfo version this node serves."""
    return {
        "links": [
            {"rel": SCHEMA.format(version=v), "href": f"{base_url}/nodeinfo/{v}"} for v in VERSIONS
        ]
    }


def build_nodeinfo(info: NodeInfo) -> dict[str, Any]:
    """The NodeInfo document of `info.version` (2.0 or 2.1)."""
    if info.version not in VERSIONS:
        raise ValueError(f"unsupported NodeInfo version {info.version}")
    software = {"name": info.software_name, "version": info.software_version}
    return {
        "version": info.version,
        "software": software,
        "protocols": list(info.protocols),
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": info.open_registrations,
        "usage": {
            "users": {
                "total": info.usage.users_total,
                "activeMonth": info.usage.users_active_month,
                "activeHalfyear": info.usage.users_active_halfyear,
            },
            "localPosts": info.usage.local_posts,
        },
        "metadata": dict(info.metadata),
    }


def parse_nodeinfo(document: Mapping[str, Any]) -> NodeInfo:
    """Read a NodeInfo 2.x document strictly; raise InvalidDocument if it is not one."""
    try:
        version = document["version"]
        software = document["software"]
        users = document["usage"]["users"]
        info = NodeInfo(
            version=version,
            software_name=software["name"],
            software_version=software["version"],
            protocols=tuple(document["protocols"]),
            open_registrations=document["openRegistrations"],
            usage=Usage(
                users_total=users.get("total", 0),
                users_active_month=users.get("activeMonth", 0),
                users_active_halfyear=users.get("activeHalfyear", 0),
                local_posts=document["usage"].get("localPosts", 0),
            ),
            metadata=document.get("metadata", {}),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidDocument(f"not a NodeInfo document: missing or wrong {exc}") from None
    if version not in VERSIONS or not isinstance(info.open_registrations, bool):
        raise InvalidDocument("not a NodeInfo 2.0/2.1 document")
    if not isinstance(document["protocols"], list) or not all(
        isinstance(p, str) for p in info.protocols
    ):
        raise InvalidDocument("NodeInfo protocols must be a list of strings")
    counts = (
        info.usage.users_total,
        info.usage.users_active_month,
        info.usage.users_active_halfyear,
        info.usage.local_posts,
    )
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in counts):
        raise InvalidDocument("NodeInfo usage counts must be whole numbers")
    if not isinstance(info.metadata, Mapping):
        raise InvalidDocument("NodeInfo metadata must be an object")
    return info
