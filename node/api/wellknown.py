"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from activitypub import (
    JRD_JSON,
    InvalidDocument,
    NodeInfo,
    build_jrd,
    build_nodeinfo,
    discovery_document,
    parse_acct,
)
from activitypub.webfinger import Acct
from content import accounts
from node.api.mastodon.instance import MASTODON_COMPATIBILITY
from node.state import services
from node.version import harbour_version

CORS = {"Access-Control-Allow-Origin": "*"}
MAX_RESOURCE_LENGTH = 512


async def webfinger(request: Request) -> Response:
    """RFC 7033 look-up of a local actor by `acct:name@domain` or by its actor URI."""
    resource = request.query_params.get("resource", "").strip()
    if not resource or len(resource) > MAX_RESOURCE_LENGTH:
        return _jrd_error(400, "give resource=acct:name@domain")
    settings = services(request).settings
    try:
        username = _local_username(resource, settings.domain, settings.base_url)
    except InvalidDocument as error:
        return _jrd_error(400, str(error))
    async with services(request).sessions() as session:
        account = await accounts.get_local(session, username) if username else None
    if account is None:
        return _jrd_error(404, f"no account here answers to {resource}")
    jrd = build_jrd(
        Acct(user=account.username, host=settings.domain),
        actor_id=account.uri,
        profile_url=account.url,
    )
    return JSONResponse(jrd, media_type=JRD_JSON, headers=CORS)


async def host_meta(request: Request) -> Response:
    """host-meta (RFC 6415), pointing older clients at WebFinger."""
    template = f"{services(request).settings.base_url}/.well-known/webfinger?resource={{uri}}"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml", headers=CORS)


async def host_meta_json(request: Request) -> Response:
    """host-meta in its JSON form."""
    template = f"{services(request).settings.base_url}/.well-known/webfinger?resource={{uri}}"
    return JSONResponse({"links": [{"rel": "lrdd", "template": template}]}, headers=CORS)


async def nodeinfo_links(request: Request) -> Response:
    """Where this node's NodeInfo documents are."""
    return JSONResponse(discovery_document(services(request).settings.base_url), headers=CORS)


async def nodeinfo(request: Request) -> Response:
    """NodeInfo 2.0 or 2.1: software, protocols, usage, and that registration is closed."""
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        raise HTTPException(404, "NodeInfo 2.0 and 2.1 are served")
    settings = services(request).settings
    usage = await services(request).usage.usage(services(request).sessions)
    document = build_nodeinfo(
        NodeInfo(
            version=version,
            software_name="harbour",
            software_version=harbour_version(),
            protocols=("activitypub",),
            open_registrations=False,
            usage=usage,
            metadata={
                "nodeName": settings.organisation_name,
                "federationMode": str(settings.federation_mode),
                # The client API Harbour speaks: megalodon's detector reads it (as it does
                # for Mastodon's forks) to pick its Mastodon client.
                "upstream": {"name": "Mastodon", "version": MASTODON_COMPATIBILITY},
            },
        )
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(document, media_type=f'application/json; profile="{profile}"', headers=CORS)


def _local_username(resource: str, domain: str, base_url: str) -> str | None:
    """The local username a WebFinger resource names, or None if it names nobody here.
    InvalidDocument if it is no URI (RFC 7033 §4.2: a query without a valid resource is a
    400): it has no scheme, or its `acct:` is not `name@host`."""
    resource = unquote(resource)
    if not _SCHEME.match(resource):
        raise InvalidDocument(f"{resource!r} is not a URI: write acct:name@domain")
    if resource.startswith(("https://", "http://")):
        for prefix in (f"{base_url}/users/", f"{base_url}/@"):
            if resource.startswith(prefix):
                name = resource.removeprefix(prefix)
                return name if name and "/" not in name else None
        return domain if resource == f"{base_url}/actor" else None
    if not resource.lower().startswith("acct:"):
        return None  # another kind of URI (mailto:, ...): no one here
    acct = parse_acct("acct:" + resource[5:])
    return acct.user.lower() if acct.host == domain else None


# RFC 3986 §3.1: a URI starts with its scheme.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _jrd_error(status_code: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status_code, headers=CORS)


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta_json),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/{version}", nodeinfo),
]
