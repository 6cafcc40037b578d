"""Reading a node's streaming API in tests: server-sent events read by a thread, and
masto.js over WebSocket in a Node.js process, each keeping every event it got."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.rig.nodes import NodeProcess, loopback_client, wait_for
from tests.rig.npm import npm_installed

MASTO_JS = Path(__file__).parents[1] / "clients" / "mastojs"


class ServerSentEvents:
    """`GET /api/v1/streaming/<path>` read as it comes, by a thread, until closed."""

    def __init__(self, node: NodeProcess, token: str, path: str) -> None:
        self.events: list[tuple[str, str]] = []
        self.opened = threading.Event()  # the node answered, with the stream's first line
        self.ended = threading.Event()
        self._client = loopback_client(base_url=f"http://127.0.0.1:{node.port}", timeout=None)
        self._request = self._client.build_request(
            "GET", f"/api/v1/streaming/{path}", headers={"Authorization": f"Bearer {token}"}
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    status = 0
    error = ""

    def _read(self) -> None:
        event = ""
        try:
            response = self._client.send(self._request, stream=True)
            self.status = response.status_code
            self.opened.set()
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    self.events.append((event, line[6:]))
        except httpx.HTTPError as error:  # the stream could not be read (shown by `ready`)
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ended.set()

    def payloads(self, event: str) -> list[Any]:
        """The payloads of the events named `event` so far (JSON decoded where it is)."""
        return [_decoded(data) for name, data in list(self.events) if name == event]

    def close(self) -> None:
        self._client.close()


class MastoJs:
    """masto.js streaming one stream over WebSocket (tests/clients/mastojs/stream.mjs)."""

    def __init__(self, node: NodeProcess, token: str, stream: str, *extra: str) -> None:
        folder = npm_installed(MASTO_JS, "masto", "the masto.js streaming tests")
        self.lines: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [
                str(shutil.which("node")),
                "stream.mjs",
                f"http://127.0.0.1:{node.port}",
                token,
                stream,
                *extra,
            ],  # fmt: skip
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(json.loads(line))

    def payloads(self, event: str) -> list[Any]:
        return [line["payload"] for line in list(self.lines) if line.get("event") == event]

    def close(self) -> str:
        """Stop it; what it wrote on stderr."""
        self.process.kill()
        _, errors = self.process.communicate(timeout=10)
        return errors


def _decoded(data: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return data


def ready(reader: ServerSentEvents | MastoJs, post: Callable[[str], object], marker: str) -> None:
    """Post `marker` (with `post`) until the reader sees it: its stream is open from then on.
    Posted again every two seconds, since what is posted before the stream opens is not
    told to it."""
    for attempt in range(15):
        post(f"{marker} {attempt}")
        try:
            wait_for(
                lambda: any(marker in str(p) for p in reader.payloads("update")),
                timeout=2,
                what=f"{marker!r} on the stream",
            )
            return
        except AssertionError:
            continue
    # What the reader met, for a failure seen only under load (the node logged no request
    # for a stream that never showed its member's posts, in one CI run).
    met = ""
    if isinstance(reader, ServerSentEvents):
        met = f" (answered {reader.status or 'nothing'}{reader.error and ', '}{reader.error})"
    raise AssertionError(f"the stream never showed {marker!r}{met}")
