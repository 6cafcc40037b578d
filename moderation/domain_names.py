"""Domain names as admins type them and as hosts appear in ids, and which rules match a host."""

from __future__ import annotations

from activitypub.hostnames import InvalidHost, canonical_host


def normalise(domain: str) -> str:
    """A domain as stored, without scheme or path: the canonical host ids are matched with
    (`activitypub.hostnames`), or, for what is no host (`*.example`), lower case without a
    trailing dot, for the caller to refuse."""
    text = domain.strip().split("://", 1)[-1].split("/", 1)[0]
    try:
        return canonical_host(text)
    except InvalidHost:
        return text.lower().rstrip(".")


def candidates(host: str) -> set[str]:
    """The rule names that match `host`: itself, without its port, and every parent domain
    (a rule for `example.org` covers `social.example.org`), but never a bare top-level."""
    name = normalise(host)
    bare = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    labels = bare.split(".")
    return {name, bare} | {".".join(labels[i:]) for i in range(1, len(labels) - 1)}
