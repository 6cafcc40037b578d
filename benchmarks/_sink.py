"""Every remote server of a fan-out (`benchmarks/fanout.py`): a bare asyncio HTTP/1.1 server
on the port given, that reads each POST whole (by its Content-Length: a chunked one is
refused with 411, as the node sends none) and answers 202 on the same connection,
counting them by how they were signed (GET /signed) and keeping when each arrived (GET
/arrivals: `time.monotonic()`, one clock for every process of the machine). Remote servers
run on machines of their own; this one shares the node's two cores, so it takes as little
of them as it can (the bare Starlette app under uvicorn it replaced took 0.23 CPU-ms a
delivery, 0.03 here).

Run: .venv/bin/python benchmarks/_sink.py PORT"""

from __future__ import annotations

import asyncio
import json
import sys
import time

ACCEPTED = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
LENGTH_REQUIRED = b"HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
SIGNED: dict[str, int] = {}  # POSTs by how they were signed: rfc9421, draft-cavage, unsigned
ARRIVALS: list[float] = []  # when each POST was read whole, in order


def kind(head: bytes) -> str:
    """How a request whose lower-cased head this is was signed."""
    if b"\nsignature-input:" in head:
        return "rfc9421"
    return "draft-cavage" if b"\nsignature:" in head else "unsigned"


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name == b"content-length":
            return int(value)
    return 0


class Inbox(asyncio.Protocol):
    """One connection: its requests, answered in turn."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.data = transport, b""

    def data_received(self, data: bytes) -> None:
        self.data += data
        while (end := self.data.find(b"\r\n\r\n")) >= 0:
            head = self.data[:end].lower()
            if b"\ntransfer-encoding:" in head:  # not read here: refused, never miscounted
                self.transport.write(LENGTH_REQUIRED)
                self.transport.close()
                return
            whole = end + 4 + content_length(head)
            if len(self.data) < whole:
                return  # the body is still coming
            self.data = self.data[whole:]
            if head.startswith(b"get "):
                self.transport.write(answer(head))
            else:
                SIGNED[kind(head)] = SIGNED.get(kind(head), 0) + 1
                ARRIVALS.append(time.monotonic())
                self.transport.write(ACCEPTED)


def answer(head: bytes) -> bytes:
    """A GET's answer: the counts for /signed, the times for /arrivals, an empty object for
    anything else."""
    found = {b"get /signed ": SIGNED, b"get /arrivals ": ARRIVALS}
    body = next((json.dumps(v).encode() for k, v in found.items() if head.startswith(k)), b"{}")
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Inbox, "127.0.0.1", port, backlog=1024)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
