"""Service processes of the stack: started in their own session, logs prefixed and coloured.

Each child gets a parent-death signal, so none outlives the stack even when the stack is killed;
a normal stop sends SIGTERM to the child's process group and SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from scripts.platform_services import REPO_ROOT

_PR_SET_PDEATHSIG = 1
_LINE_LIMIT = 4 * 1024 * 1024  # one log line (a JSON record with a stack) may be long
COLOURS = ("36", "35", "33", "32", "34", "96", "95", "93")


def die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Console:
    colour: bool = True
    stream: IO[str] = field(default_factory=lambda: sys.stdout)

    def line(self, label: str, colour: str, text: str) -> None:
        prefix = f"{label:<22}|"
        if self.colour:
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        print(f"{prefix} {text}", file=self.stream, flush=True)

    def info(self, text: str) -> None:
        self.line("stack", "1", text)


@dataclass
class ChildSpec:
    label: str
    argv: list[str]
    env: dict[str, str]
    colour: str


class Child:
    def __init__(self, spec: ChildSpec, log_dir: Path, console: Console) -> None:
        self.spec = spec
        self.console = console
        self.log_path = log_dir / f"{spec.label.replace(' ', '-')}.log"
        self.tail: deque[str] = deque(maxlen=30)
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            cwd=REPO_ROOT,
            env=self.spec.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
            limit=_LINE_LIMIT,
        )
        self._pump = asyncio.create_task(self._copy_output())

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.returncode

    async def wait(self) -> int:
        assert self.process is not None
        code = await self.process.wait()
        if self._pump is not None:
            await self._pump
        return code

    async def stop(self, grace: float = 10.0) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.wait(), grace)
        except TimeoutError:
            self._signal(signal.SIGKILL)
            await self.wait()

    def last_lines(self) -> str:
        return "\n".join(self.tail) or "(no output)"

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    async def _copy_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            async for raw in self.process.stdout:
                text = raw.decode(errors="replace").rstrip()
                log.write(text + "\n")
                log.flush()
                self.tail.append(text)
                self.console.line(self.spec.label, self.spec.colour, text)
