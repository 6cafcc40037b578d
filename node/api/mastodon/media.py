"""Media: upload an image (re-encoded without metadata, with a preview and a blurhash), read,
describe and give it a focal point before it is posted, and the files themselves under
/media/."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from content import media
from content.media import MAX_UPLOAD_BYTES, CleanImage, MediaError
from moderation.rate_limits import Action
from node.api.mastodon import entities
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.settings import Settings
from node.state import services

MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


async def store_image(settings: Settings, part: object) -> tuple[CleanImage, str]:
    """Clean an uploaded form part and write it under a random name; 422 if it is refused."""
    if not isinstance(part, UploadFile):
        raise HTTPException(422, "Validation failed: the file is missing")
    data = await part.read(MAX_UPLOAD_BYTES + 1)
    try:
        image = await media.clean_image_off_loop(data)
    except MediaError as error:
        raise HTTPException(422, f"Validation failed: {error}") from None
    return image, await run_in_threadpool(media.write_file, settings.media_dir, image)


def focus_of(value: object) -> tuple[float, float] | None:
    """The `focus` parameter, if given; 422 if it is not two numbers from -1 to 1."""
    if value is None or value == "":
        return None
    focus = media.parse_focus(value)
    if focus is None:
        raise HTTPException(422, "Validation failed: focus is two numbers from -1 to 1")
    return focus


async def upload(request: Request) -> Response:
    """POST /api/v1/media and /api/v2/media: processed at once, so always 200 with a URL."""
    owner = await user_of(request, "write:media")
    settings = services(request).settings
    await services(request).federation.limits.take(Action.UPLOAD, str(owner.id))
    async with request.form(max_files=1, max_fields=10) as form:
        focus = focus_of(form.get("focus"))
        image, name = await store_image(settings, form.get("file"))
        description = form.get("description")
    async with session_scope(services(request).sessions) as session:
        row = media.add_local(
            session,
            owner,
            image,
            file_name=name,
            base_url=settings.base_url,
            description=description if isinstance(description, str) else "",
        )
        if focus is not None:
            row.focus_x, row.focus_y = focus
        entity = entities.attachment(row, settings.base_url)
    return JSONResponse(entity)


async def show(request: Request) -> Response:
    """GET /api/v1/media/:id: the owner's own attachment, while it is in no post."""
    owner = await user_of(request, "write:media")
    async with services(request).sessions() as session:
        row = await media.get_unattached(session, owner, request.path_params["id"])
        if row is None:
            raise HTTPException(404, "Record not found")
        return JSONResponse(entities.attachment(row, services(request).settings.base_url))


async def update(request: Request) -> Response:
    """PUT /api/v1/media/:id: change the description or the focal point (`focus`, "x,y";
    one that is not two numbers from -1 to 1 is a 422)."""
    owner = await user_of(request, "write:media")
    params = await read_params(request)
    async with session_scope(services(request).sessions) as session:
        row = await media.get_unattached(session, owner, request.path_params["id"])
        if row is None:
            raise HTTPException(404, "Record not found")
        if "description" in params:
            row.description = media.plain_description(str(params["description"] or ""))
        focus = focus_of(params.get("focus"))
        if focus is not None:
            row.focus_x, row.focus_y = focus
        entity = entities.attachment(row, services(request).settings.base_url)
    return JSONResponse(entity)


async def serve(request: Request) -> Response:
    """GET /media/NAME: a stored image, by its random name only (nothing is ever listed)."""
    name = request.path_params["name"]
    path = services(request).settings.media_dir / name
    if not media.FILE_NAME.fullmatch(name) or not path.is_file():
        raise HTTPException(404, "there is no such file")
    return FileResponse(
        path,
        media_type=MIME_TYPES[name.rpartition(".")[2]],
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            # An image needs nothing else: no script, style or frame, even if opened alone.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


routes = [
    Route("/api/v1/media", upload, methods=["POST"]),
    Route("/api/v2/media", upload, methods=["POST"]),
    Route("/api/v1/media/{id}", show, methods=["GET"]),
    Route("/api/v1/media/{id}", update, methods=["PUT"]),
    Route("/media/{name}", serve, methods=["GET", "HEAD"]),
]
