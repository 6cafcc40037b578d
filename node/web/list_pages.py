"""`/settings/lists`: a member takes her follows, blocks, mutes, blocked servers and bookmarks
to another server, or brings them here, in Mastodon's CSV files. Downloads are hers only;
an upload is read and checked here, and its lines are applied by the worker
(`federation.import_rows`), so the page shows how the import goes."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content.interface_text import N_
from federation import imports
from federation.imports import ImportRefused, Mode
from moderation.list_export import export
from moderation.list_files import MAX_BYTES, MAX_ROWS, Kind, ListFileError, read
from node.database import session_scope
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.sessions import signed_in_account

PATH = "/settings/lists"
LABELS = {
    Kind.FOLLOWING: N_("Accounts you follow"),
    Kind.BLOCKS: N_("Accounts you block"),
    Kind.MUTES: N_("Accounts you mute"),
    Kind.DOMAIN_BLOCKS: N_("Servers you block"),
    Kind.BOOKMARKS: N_("Bookmarks"),
}
NO_FILE = N_("Choose a file to import.")


async def lists_page(request: Request) -> Response:
    """Each list with its download, its import form and how its last import went."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        progress = {each.started.kind: each for each in await imports.progress(session, viewer)}
    return render(
        request,
        "lists.html",
        labels=LABELS,
        progress=progress,
        max_rows=MAX_ROWS,
        error=notices.take(request),
        notice=notices.take_done(request),
    )


async def download(request: Request) -> Response:
    """`/settings/lists/NAME.csv`: one list as Mastodon's file, to the member only."""
    kind = next((k for k in Kind if k.file_name == request.path_params["name"]), None)
    if kind is None:
        return Response(status_code=404)
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        text = await export(session, viewer, kind, services(request).federation.domain)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{kind.file_name}"',
            "Cache-Control": "no-store",
        },
    )


async def start_import(request: Request) -> Response:
    """`POST /settings/lists/import`: check the file, then queue its lines for the worker
    (an overwrite then removes what the file does not have, `import_overwrite`)."""
    async with request.form(max_fields=5, max_files=1) as form:
        upload = form.get("file")
        data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
        kind_name, mode_name = str(form.get("kind")), str(form.get("mode", "merge"))
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        try:
            kind, mode = Kind(kind_name), Mode(mode_name)
        except ValueError:
            return notices.refused(request, PATH, ListFileError(NO_FILE))
        try:
            if not data:
                raise ListFileError(NO_FILE)
            entries = read(kind, data, fed.domain)
            await imports.start(session, viewer, kind, mode, entries)
        except (ListFileError, ImportRefused) as error:
            return notices.refused(request, PATH, error)
    fed.notify()
    return notices.done(request, PATH, "import-queued")


routes = [
    Route(PATH, lists_page),
    Route(f"{PATH}/{{name}}", download),
    Route(f"{PATH}/import", start_import, methods=["POST"]),
]
