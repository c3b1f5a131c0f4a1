"""A worker's liveness lock: a PostgreSQL session advisory lock held for the worker's life.

Claims record the lock's key. While the worker lives its session holds the lock; when the process
dies its connection closes, PostgreSQL drops the lock, and every claim carrying the key is due
at once (`claim_due`), for the restarted worker or any replica, without waiting for the lease.
The lock's connection is checked every `heartbeat_seconds`; a lost connection is reopened and
the lock taken again (in between, other workers may take over this worker's claims, which the
claim token makes safe: a late outcome for a re-claimed file is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger(__name__)


@dataclass(frozen=True)
class ClaimerIdentity:
    """The key of this process's liveness lock: random, positive, fits PostgreSQL's bigint."""

    lock_key: int = field(default_factory=lambda: secrets.randbits(62) + 1)


class ClaimerLiveness:
    def __init__(
        self, engine: AsyncEngine, identity: ClaimerIdentity, heartbeat_seconds: float = 5.0
    ) -> None:
        self.engine = engine
        self.identity = identity
        self.heartbeat_seconds = heartbeat_seconds
        self._connection: AsyncConnection | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._lock()
        self._heartbeat = asyncio.create_task(self._keep_alive())

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._close()

    async def _lock(self) -> None:
        connection = await self.engine.connect()
        # Autocommit: a transaction left open for the worker's life would hold back VACUUM.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(
            text("SELECT pg_advisory_lock(:key)"), {"key": self.identity.lock_key}
        )
        self._connection = connection

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                assert self._connection is not None
                await self._connection.execute(text("SELECT 1"))
            except Exception as error:  # the lock went with the connection: take it again
                logger.warning("liveness lock lost; taking it again", error=repr(error))
                await self._close()
                with contextlib.suppress(Exception):
                    await self._lock()

    async def _close(self) -> None:
        if self._connection is not None:
            # Invalidated, not returned to the pool: the session (and its lock) must end here,
            # never be handed to another caller still holding the lock.
            with contextlib.suppress(Exception):
                await self._connection.invalidate()
                await self._connection.close()
            self._connection = None
