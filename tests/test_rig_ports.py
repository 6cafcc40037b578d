"""The test rig's node ports: each test worker has its own, and none is a port the kernel
can give an outgoing connection, so a node never finds its port taken."""

import socket
from pathlib import Path

from tests.rig.nodes import _PORTS, free_port, worker_ports


def test_workers_have_disjoint_ports_below_the_ephemeral_range() -> None:
    ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    slices = [set(worker_ports(worker, 3)) for worker in range(3)]
    assert all(len(ports) > 1000 for ports in slices)
    assert not slices[0] & slices[1] and not slices[1] & slices[2] and not slices[0] & slices[2]
    assert max(max(ports) for ports in slices) < ephemeral


def test_free_port_hands_out_distinct_bindable_ports_of_this_worker() -> None:
    ports = [free_port() for _ in range(20)]
    assert len(set(ports)) == 20
    assert all(port in _PORTS for port in ports)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports[0]))


def test_free_port_skips_a_port_something_listens_on() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", free_port()))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = [free_port() for _ in range(len(_PORTS))]
    assert taken not in ports
