"""Waiting for a started process to answer its /healthz, and the stack's start-up error."""

from __future__ import annotations

import asyncio
import time

import httpx

from scripts.stack_runner.children import Child


class StackError(RuntimeError):
    """The stack cannot start; the message says why, without a traceback."""


async def wait_healthy(
    client: httpx.AsyncClient, name: str, base_url: str, children: list[Child], deadline: float
) -> None:
    api = children[0]
    last = "no answer yet"
    while time.monotonic() < deadline:
        exited = [child for child in children if child.exit_code is not None]
        if exited:
            child = exited[0]
            raise StackError(
                f"{child.spec.label} exited with code {child.exit_code} during start-up; "
                f"its last lines ({child.log_path}):\n{child.last_lines()}"
            )
        try:
            response = await client.get(f"{base_url}/healthz")
            if response.status_code == 200:
                return
            last = f"{response.status_code}: {response.text[:300]}"
        except httpx.HTTPError as error:
            last = type(error).__name__
        await asyncio.sleep(0.25)
    raise StackError(
        f"{name} was not healthy in time (last /healthz: {last}); "
        f"its last lines ({api.log_path}):\n{api.last_lines()}"
    )
