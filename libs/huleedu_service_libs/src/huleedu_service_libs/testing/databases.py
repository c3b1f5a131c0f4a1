"""Fresh PostgreSQL databases per test, and databases migrated by a service's Alembic chain.

A service's chain runs once per session into a template database; each test then gets a copy
made with `CREATE DATABASE ... TEMPLATE`, which takes tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from huleedu_service_libs.testing.servers import PostgresEndpoint


def unique_name(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:12]}".lower()


async def create_database(server: PostgresEndpoint, name: str, template: str | None = None) -> None:
    connection = await asyncpg.connect(server.admin_dsn)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await connection.close()


async def drop_database(server: PostgresEndpoint, name: str) -> None:
    connection = await asyncpg.connect(server.admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class AlembicError(RuntimeError):
    """A service's Alembic command failed; the message carries its output."""


def run_alembic(service_dir: Path, database_url: str, *command: str) -> str:
    """Run `alembic <command>` for a service against a database, as a deployment would.

    It runs in a subprocess from the service directory, so the chain is exercised exactly as
    `alembic upgrade head` runs there; the URL reaches env.py as `-x database_url=...`.
    """
    argv = [sys.executable, "-m", "alembic", "-x", f"database_url={database_url}", *command]
    result = subprocess.run(argv, cwd=service_dir, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AlembicError(
            f"alembic {' '.join(command)} failed in {service_dir}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


class MigratedTemplates:
    """One template database per service chain, migrated to head on first use."""

    def __init__(self, server: PostgresEndpoint) -> None:
        self.server = server
        self._templates: dict[Path, str] = {}
        self._lock = asyncio.Lock()

    async def template_for(self, service_dir: Path) -> str:
        async with self._lock:
            if service_dir not in self._templates:
                self._templates[service_dir] = await self._migrate(service_dir)
        return self._templates[service_dir]

    async def _migrate(self, service_dir: Path) -> str:
        name = unique_name(f"tpl_{service_dir.name}")
        await create_database(self.server, name)
        url = self.server.url(name)
        await asyncio.to_thread(run_alembic, service_dir, url, "upgrade", "head")
        return name
