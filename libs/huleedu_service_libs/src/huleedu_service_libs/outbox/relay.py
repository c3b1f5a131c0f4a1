"""EventRelayWorker: publishes committed outbox rows to Kafka, in order per key, at least once.

One asyncio task in a service's worker process (`await relay.run()`, `await relay.stop()`);
several replicas may run against one table. Each batch is one transaction: claim (row locks,
SKIP LOCKED), publish, mark. The loop sleeps only when there is nothing due: until woken after a
commit, until the next retry is due, or at most the poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from common_core.timestamps import utc_now
from huleedu_service_libs.logging_utils import create_service_logger
from huleedu_service_libs.outbox import store
from huleedu_service_libs.outbox.batch import BatchOutcome, plan_batch, settle
from huleedu_service_libs.outbox.claim import claim_due
from huleedu_service_libs.outbox.metrics import OutboxMetrics, ServiceOutboxMetrics, outbox_metrics
from huleedu_service_libs.outbox.publishing import Publisher, publish_batch
from huleedu_service_libs.outbox.settings import OutboxSettings, backoff_seconds
from huleedu_service_libs.outbox.wakeup import RelayWakeup

logger = create_service_logger("huleedu.outbox.relay")

# Floor of an idle wait, so replicas waiting on each other's in-flight rows do not spin.
MIN_IDLE_SECONDS = 0.05


@dataclass(frozen=True)
class BatchReport:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    dead_lettered: int = 0
    parked: int = 0

    @property
    def all_failed(self) -> bool:
        return self.failed > 0 and self.published == 0

    @property
    def moved_rows(self) -> bool:
        return self.published + self.failed + self.parked > 0


class EventRelayWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        publisher: Publisher,
        service_name: str,
        settings: OutboxSettings,
        *,
        wakeup: RelayWakeup | None = None,
        metrics: OutboxMetrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.publisher = publisher
        self.service_name = service_name
        self.settings = settings
        self.wakeup = wakeup
        self.metrics = ServiceOutboxMetrics(metrics or outbox_metrics(), service_name)
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopped.set()
        self._failing_cycles = 0

    async def run(self) -> None:
        self._stopped.clear()
        housekeeping = asyncio.create_task(self._housekeeping_loop())
        try:
            while not self._stopping.is_set():
                await self._pause_after(await self._guarded_batch())
        finally:
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            self._stopped.set()

    async def stop(self) -> None:
        """Lets the batch in flight finish (published and marked), then returns."""
        self._stopping.set()
        await self._stopped.wait()

    async def publish_due_batch(self) -> BatchReport:
        async with store.transaction(self.engine) as connection:
            claim = await claim_due(connection, self.settings.batch_size)
            if claim is None:
                return BatchReport()
            started = time.monotonic()
            plan = plan_batch(claim)
            messages = [row.message for row in plan.ready]
            timeout = self.settings.publish_timeout_seconds
            results = await publish_batch(self.publisher, messages, timeout) if messages else []
            settled_at = claim.now + timedelta(seconds=time.monotonic() - started)
            outcome = settle(plan, results, settled_at, self.settings, self._rng)
            await _record(connection, outcome)
        self._observe(outcome, settled_at)
        return _report(len(claim.rows), outcome)

    async def purge_published(self) -> int:
        """Deletes published rows older than the retention, in bounded batches."""
        retention = timedelta(hours=self.settings.retention_hours)
        batch_size, total = self.settings.cleanup_batch_size, 0
        while not self._stopping.is_set():
            async with store.transaction(self.engine) as connection:
                deleted = await store.purge_published(connection, retention, batch_size)
            total += deleted
            if deleted < batch_size:
                break
        return total

    async def refresh_backlog_metrics(self) -> store.Backlog:
        async with store.transaction(self.engine) as connection:
            backlog = await store.backlog(connection)
        self.metrics.record_backlog(backlog, utc_now())
        return backlog

    async def _guarded_batch(self) -> BatchReport | None:
        try:
            return await self.publish_due_batch()
        except Exception as error:  # PostgreSQL away, or a bug: back off, never die
            logger.warning("outbox relay batch failed", error=repr(error))
            return None

    async def _pause_after(self, report: BatchReport | None) -> None:
        if report is None or report.all_failed:
            self._failing_cycles += 1
            await self._sleep(backoff_seconds(self._failing_cycles, self.settings, self._rng))
            return
        self._failing_cycles = 0
        if report.claimed < self.settings.batch_size or not report.moved_rows:
            await self._idle_wait()

    async def _idle_wait(self) -> None:
        timeout = await self._idle_timeout()
        if self.wakeup is None:
            await self._sleep(timeout)
            return
        try:
            await self._unless_stopped(self.wakeup.wait(timeout), timeout)
        except (RedisError, OSError) as error:
            logger.warning("outbox wake-up channel unavailable; polling", error=repr(error))
            await self._sleep(timeout)

    async def _idle_timeout(self) -> float:
        poll = self.settings.poll_interval_seconds
        try:
            async with store.transaction(self.engine) as connection:
                until_due = await store.seconds_until_next_due(connection)
        except Exception:  # the next batch reports it; here the poll interval is enough
            return poll
        return max(MIN_IDLE_SECONDS, min(poll, poll if until_due is None else until_due))

    async def _unless_stopped(self, waiting: Awaitable[object], timeout: float) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        work = asyncio.ensure_future(waiting)
        try:
            await asyncio.wait({stop, work}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            work.cancel()
        if work.done() and not work.cancelled():
            work.result()  # re-raises the wake-up channel's error

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _housekeeping_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.purge_published()
                await self.refresh_backlog_metrics()
            except Exception as error:
                logger.warning("outbox housekeeping failed", error=repr(error))
            await self._sleep(self.settings.housekeeping_interval_seconds)

    def _observe(self, outcome: BatchOutcome, settled_at: datetime) -> None:
        self.metrics.record_published(outcome.published, settled_at)
        self.metrics.record_failures(outcome.failures)
        if outcome.failures:
            _log_failures(outcome.failures)


async def _record(connection: asyncpg.Connection, outcome: BatchOutcome) -> None:
    if outcome.published:
        await store.mark_published(connection, [row.id for row in outcome.published])
    if outcome.failures:
        await store.record_failures(connection, outcome.failures)
    for until, row_ids in outcome.parked.items():
        await store.park(connection, until, row_ids)


def _report(claimed: int, outcome: BatchOutcome) -> BatchReport:
    return BatchReport(
        claimed=claimed,
        published=len(outcome.published),
        failed=len(outcome.failures),
        dead_lettered=sum(failure.dead_lettered for failure in outcome.failures),
        parked=sum(len(row_ids) for row_ids in outcome.parked.values()),
    )


def _log_failures(failures: list[store.Failure]) -> None:
    logger.warning(
        "outbox publish attempts failed; backing off",
        failed=len(failures),
        first_error=failures[0].error,
    )
    for failure in failures:
        if failure.dead_lettered:
            logger.error(
                "outbox event dead-lettered",
                row_id=str(failure.row_id),
                event_type=failure.event_type,
                attempts=failure.retry_count,
                error=failure.error,
            )
