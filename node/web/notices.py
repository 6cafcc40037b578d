"""A refusal or a confirmation shown once, on the page a form sends the member back to.

It travels in her signed session cookie, never in the address: no link can make a Harbour
page show words of somebody else's choosing (a "message from the moderators" in a phishing
link) or confirm what was not done ("your report went to the moderators"); and a message
with values (`Message`) keeps its template, so the page shows it in the reader's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from content.interface_text import Message

KEY = "notice"
DONE = "done"
MAX_TEXT = 300


def refused(request: Request, back: str, error: BaseException) -> RedirectResponse:
    """A redirect to `back` whose page will show why `error` refused the form."""
    message = error.args[0] if error.args else str(error)
    if isinstance(message, Message):
        values = {name: str(value)[:MAX_TEXT] for name, value in message.values.items()}
        request.session[KEY] = [message.template, values]
    else:
        request.session[KEY] = [str(message)[:MAX_TEXT], {}]
    return RedirectResponse(back, status_code=303)


def done(request: Request, back: str, what: str) -> RedirectResponse:
    """A redirect to `back` whose page will confirm `what` was done (a name its template
    knows, such as "password")."""
    request.session[DONE] = what
    return RedirectResponse(back, status_code=303)


def take_done(request: Request) -> str | None:
    """What the page is to confirm, once."""
    what = request.session.pop(DONE, None)
    return what if isinstance(what, str) else None


def take(request: Request) -> Message | None:
    """The notice kept for this page, once (it is gone from the session after)."""
    kept = request.session.pop(KEY, None)
    if not (isinstance(kept, list) and len(kept) == 2 and isinstance(kept[1], dict)):
        return None
    template, values = kept
    try:
        return Message(str(template), **{str(k): str(v) for k, v in values.items()})
    except (KeyError, TypeError, ValueError):
        return Message(str(template))
