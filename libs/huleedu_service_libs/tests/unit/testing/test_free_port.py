"""Ports for test servers stay clear of the range outgoing connections draw from."""

from __future__ import annotations

import socket
from pathlib import Path

from huleedu_service_libs.testing.processes import free_port


def _first_ephemeral_port() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_below_the_ephemeral_range_and_never_repeat() -> None:
    ports = [free_port() for _ in range(50)]

    assert len(set(ports)) == len(ports)
    assert max(ports) < _first_ephemeral_port()


def test_a_port_given_out_can_be_bound() -> None:
    port = free_port()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert sock.getsockname()[1] == port
