"""Child server processes that cannot outlive the test run.

Every server is started in its own session with a parent-death signal, so it is stopped when
the pytest process ends for any reason (normal exit, Ctrl-C, a crash or `kill -9`). Output
goes to a log file that is shown when the server fails to become ready.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1
UNPRIVILEGED_USER = "nobody"


class ServerStartError(RuntimeError):
    """A server process did not become ready; the message carries its log."""


_LOWEST_PORT = 10000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()


def free_port() -> int:
    """A port that is free now and that no outgoing connection will take later.

    A port the kernel hands out for bind(0) comes from the ephemeral range, which is also where
    every outgoing connection's local port comes from: between our check and the server's own
    bind, a client connecting anywhere can take it ("Address already in use"). Ports below
    that range are never taken that way."""
    for port in _ports_below_ephemeral_range():
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ports_below_ephemeral_range() -> list[int]:
    try:
        first_ephemeral = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    ports = list(range(_LOWEST_PORT, first_ephemeral))
    random.shuffle(ports)  # other processes (xdist workers) pick from the same range
    return ports


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def unprivileged_ids() -> tuple[int, int]:
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def _child_setup(drop_to: tuple[int, int] | None) -> Callable[[], None]:
    def setup() -> None:
        if drop_to is not None:
            uid, gid = drop_to
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        # Set after the uid change: the kernel clears the parent-death signal on credential changes.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return setup


@dataclass
class ServerProcess:
    """A started server: its process, its log, and how to stop it."""

    name: str
    argv: Sequence[str]
    log_path: Path
    drop_privileges: bool = False
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        drop_to = unprivileged_ids() if self.drop_privileges else None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_child_setup(drop_to),
                env=self.env,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerStartError(self._failure("exited during start-up"))
            if ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(self._failure(f"not ready after {timeout:.0f} s"))

    def stop(self, grace: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=grace)

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def _failure(self, what: str) -> str:
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"{self.name} {what}; command: {' '.join(self.argv)}\n--- {self.log_path} ---\n{log}"
