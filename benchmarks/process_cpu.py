"""CPU time of process trees from /proc, so a benchmark can say where a request's CPU went.

A tree is a root process and every descendant alive when sampled (Uvicorn's workers,
PostgreSQL's backends). A process born between two samples counts from zero; one that exits
between them loses its last slice, which is why these figures suit long-lived servers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone between listing and reading
        return None
    return text.rsplit(")", 1)[1].split()


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, user + system CPU seconds) for every process now alive."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(entry)) is not None:
            table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)
    return table


def _tree(root: int, table: Mapping[int, tuple[int, float]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    members, frontier = {root}, [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            members.add(child)
            frontier.append(child)
    return members


@dataclass(frozen=True)
class CpuSample:
    per_process: dict[int, float]  # pid -> CPU seconds, for the pids of every tree
    trees: dict[str, set[int]]


def sample(roots: Mapping[str, int]) -> CpuSample:
    table = _processes()
    trees = {name: _tree(root, table) for name, root in roots.items()}
    members = set().union(*trees.values())
    return CpuSample({pid: table[pid][1] for pid in members if pid in table}, trees)


def cpu_between(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds each tree used between the two samples."""
    used = {}
    for name, pids in after.trees.items():
        used[name] = sum(
            after.per_process[pid] - before.per_process.get(pid, 0.0)
            for pid in pids
            if pid in after.per_process
        )
    return used
