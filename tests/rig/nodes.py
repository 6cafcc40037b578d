"""Real `harbour` processes on loopback ports, each with its own database and data folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HARBOUR = Path(sys.executable).with_name("harbour")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class NodeProcess:
    """A running `harbour serve`; its output is kept in `log_path`."""

    port: int
    data_dir: Path
    database_url: str
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("HARBOUR_")},
            "HARBOUR_DOMAIN": self.domain,
            "HARBOUR_DEVELOPMENT": "true",
            "HARBOUR_DATA_DIR": str(self.data_dir),
            "HARBOUR_DATABASE_URL": self.database_url,
            "HARBOUR_LISTEN_PORT": str(self.port),
            **self.extra_env,
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another `harbour` command against this node's settings."""
        return subprocess.run(
            [str(HARBOUR), *args], env=self.env(), capture_output=True, text=True, timeout=120
        )

    def start(self, timeout: float = 60.0) -> float:
        """Start serving; return the seconds until the first request was answered."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(HARBOUR), "serve"], env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"harbour serve exited:\n{self.log_path.read_text()}")
            try:
                httpx.get(f"{self.base_url}/.well-known/nodeinfo", timeout=1.0)
                return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"harbour serve did not answer:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        """Stop the process as an operator would (SIGTERM), killing it if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text()
