"""Waking the relay right after a commit: `LPUSH outbox:wake:<service>`, `BLPOP` on the relay.

The writer only arranges the notification; a listener sends it after the caller's transaction
has committed (never for a rolled-back one). A failed notification is logged and dropped: the
relay still finds the row at its next poll. At most one notification is in flight per process:
commits made before it goes out share it, and commits made while it is in flight share the
single one sent when it returns, so a busy writer sends one per Redis round trip, not one per
commit, and every commit is still followed by an LPUSH that started after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from huleedu_service_libs.logging_utils import create_service_logger

logger = create_service_logger("huleedu.outbox.wakeup")

_AFTER_COMMIT = "huleedu_outbox_after_commit"
MIN_BLOCK_SECONDS = 0.01  # BLPOP with timeout 0 would block forever


def wake_key(service_name: str) -> str:
    return f"outbox:wake:{service_name}"


class RelayWakeup:
    def __init__(self, redis: Redis, service_name: str) -> None:
        self.redis = redis
        self.key = wake_key(service_name)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sender_running = False
        self._commit_uncovered = False  # a commit that no LPUSH started after it covers yet
        _install_session_listeners()

    def notify_after_commit(self, session: AsyncSession) -> None:
        session.sync_session.info[_AFTER_COMMIT] = self.committed

    def committed(self) -> None:
        """A transaction that wrote outbox rows has committed: an LPUSH follows (shared with
        other commits, never awaited by the caller). Sessions get this from
        `notify_after_commit`; call it yourself after committing on a bare connection."""
        self._commit_uncovered = True
        if self._sender_running:
            return
        self._sender_running = True
        task = asyncio.get_running_loop().create_task(self._send_while_uncovered())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def notify(self) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpush(self.key, "1")
                pipe.ltrim(self.key, 0, 0)  # one pending wake-up is as good as many
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("outbox wake-up not sent; the relay will poll", error=str(error))

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when the timeout passed; Redis errors propagate."""
        popped = await self.redis.blpop([self.key], timeout=max(timeout, MIN_BLOCK_SECONDS))
        return popped is not None

    async def flush(self) -> None:
        """Waits for the notifications already scheduled (at shutdown, and in tests)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _send_while_uncovered(self) -> None:
        try:
            while self._commit_uncovered:
                self._commit_uncovered = False  # commits from now on need a later LPUSH
                await self.notify()
        finally:
            self._sender_running = False


def _run_after_commit(session: Session) -> None:
    callback: Callable[[], None] | None = session.info.pop(_AFTER_COMMIT, None)
    if callback is not None:
        callback()


def _forget_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    # Fires after after_commit too, when the callback has already been taken.
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def _install_session_listeners() -> None:
    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_transaction_end", _forget_on_rollback)
