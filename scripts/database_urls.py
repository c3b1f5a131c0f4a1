"""Which database each service's migrations and checks run against.

With a server URL (`postgresql://user:password@host:port`), each service gets its own database on
that server, named as in ARCHITECTURE.md (plus an optional suffix). Without one, a service's
`<PREFIX>DATABASE_URL` from the environment is used, else its settings' default.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from scripts.platform_services import ServiceSpec


def database_name(spec: ServiceSpec, suffix: str = "") -> str:
    return spec.database + suffix


def url_on_server(server_url: str, database: str, driver: str = "asyncpg") -> str:
    parts = urlsplit(server_url)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return urlunsplit((scheme, parts.netloc, f"/{database}", parts.query, ""))


def service_database_url(spec: ServiceSpec, server_url: str | None, suffix: str = "") -> str:
    if server_url:
        return url_on_server(server_url, database_name(spec, suffix))
    if configured := os.environ.get(f"{spec.env_prefix}DATABASE_URL"):
        return configured
    return str(spec.settings_class().model_fields["DATABASE_URL"].default)


async def ensure_database(server_url: str, database: str) -> bool:
    """Create the database unless it exists; True when it was created."""
    connection = await asyncpg.connect(url_on_server(server_url, "postgres", driver=""))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
        return not exists
    finally:
        await connection.close()
