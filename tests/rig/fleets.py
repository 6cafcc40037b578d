"""Fleets of real Harbour nodes on loopback: node-a (SQLite), node-b (PostgreSQL) and node-c
(SQLite), as many of them as a test uses, federating openly with each other."""

from __future__ import annotations

import time
from pathlib import Path

from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

NAMES = ("node-a.test", "node-b.test", "node-c.test")


class Fleet:
    """Starts and stops the nodes of one fleet; `nodes` lists them in name order."""

    def __init__(
        self,
        folder: Path,
        sqlite: SQLiteDatabases,
        postgresql: PostgresDatabases,
        size: int = 3,
        settings_of_a: dict[str, str] | None = None,
        all_names: tuple[str, ...] = NAMES,
        unsigned_fetches: bool = False,
    ) -> None:
        names = all_names[:size]
        # Every name is known to every node, so a node may name one outside its fleet.
        dev_hosts = ",".join(f"{name}=127.0.0.1" for name in all_names)
        self.backends = [sqlite, postgresql, sqlite][:size]
        self.nodes = []
        for name, databases in zip(names, self.backends, strict=True):
            node = NodeProcess(
                port=free_port(),
                data_dir=folder / name,
                database_url=databases.create(),
                name=name,
            )
            node.extra_env.update(HARBOUR_DEV_HOSTS=dev_hosts, HARBOUR_FEDERATION_MODE="open")
            if unsigned_fetches:  # authorized fetch is on by default
                node.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"
            self.nodes.append(node)
        self.nodes[0].extra_env.update(settings_of_a or {})

    def start(self) -> list[NodeProcess]:
        """Start every node at once (each spends seconds setting up its database)."""
        for node in self.nodes:
            node.launch()
        deadline = time.perf_counter() + 90
        for node in self.nodes:
            node.wait_until_serving(deadline)
        return self.nodes

    def stop(self) -> None:
        """Stop the nodes and drop their databases (each node keeps what failed since its
        last check, for `NodeProcess.new_failures`)."""
        for node, databases in zip(self.nodes, self.backends, strict=True):
            node.stop()
            databases.drop(node.database_url)
