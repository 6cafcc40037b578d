"""Plain HTTP servers that stand in for remote servers on loopback."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` with a real server's listen backlog. http.server's default of 5
    let connections wait unaccepted when a node sent to dozens of hosts on one port at once
    on a loaded machine: their connects timed out, and the transport then left each such
    host alone for a minute (`federation.back_off.BACK_OFF`), longer than a test waits."""

    request_queue_size = 128


def answer_document(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """Answer a request with `body`, an ActivityPub document, 200."""
    handler.send_response(200)
    handler.send_header("content-type", "application/activity+json")
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
