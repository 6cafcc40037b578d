"""Plain HTTP servers that stand in for remote servers on loopback."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` with a real server's listen backlog. http.server's default of 5
    let connections wait unaccepted when a node sent to dozens of hosts on one port at once
    on a loaded machine: their connects timed out, and the transport then left each such
    host alone for a minute (`federation.back_off.BACK_OFF`), longer than a test waits."""

    request_queue_size = 128
