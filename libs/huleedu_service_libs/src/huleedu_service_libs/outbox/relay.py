"""EventRelayWorker: publishes committed outbox rows to Kafka, in order per key, at least once.

One asyncio task in a service's worker process (`await relay.run()`, `await relay.stop()`);
several replicas may run against one table. Each batch is one transaction: claim (row locks,
SKIP LOCKED), publish, mark. One loop claims over all keys; when it finds a backlog (a full
batch), `lanes` loops drain it together, each on its own share of the keys, so one lane's
database work overlaps another's wait for Kafka. The relay sleeps only when nothing is due:
until a commit wakes it, its next retry is due, or at most the poll interval.
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
from huleedu_service_libs.outbox.claim import ALL_KEYS, FOREVER, Lane, claim_due
from huleedu_service_libs.outbox.metrics import OutboxMetrics, ServiceOutboxMetrics, outbox_metrics
from huleedu_service_libs.outbox.publishing import Publisher, publish_batch
from huleedu_service_libs.outbox.settings import OutboxSettings, backoff_seconds
from huleedu_service_libs.outbox.wakeup import RelayWakeup

logger = create_service_logger("huleedu.outbox.relay")

# Floor of an idle wait, so a lane waiting on rows another replica holds does not spin.
MIN_IDLE_SECONDS = 0.05


@dataclass(frozen=True)
class BatchReport:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    dead_lettered: int = 0
    parked: int = 0
    # Left as they were: behind a row another relay is publishing, or not attempted.
    held: int = 0
    # The earliest retry this batch scheduled (failed or parked rows), if any.
    next_retry_at: datetime | None = None

    @property
    def all_failed(self) -> bool:
        return self.failed > 0 and self.published == 0

    def backlog(self, batch_size: int) -> bool:
        """The claim was full, and not only of rows it had to leave as they were."""
        return self.claimed >= batch_size and self.held < self.claimed


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

    async def run(self) -> None:
        self._stopped.clear()
        nudge = asyncio.Event()
        helpers = [asyncio.create_task(self._housekeeping_loop())]
        if self.wakeup is not None:
            helpers.append(asyncio.create_task(self._listen(self.wakeup, nudge)))
        try:
            await self._relay_loop(nudge)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._stopped.set()

    async def stop(self) -> None:
        """Lets the batches in flight finish (published and marked), then returns."""
        self._stopping.set()
        await self._stopped.wait()

    async def publish_due_batch(self, lane: Lane = ALL_KEYS) -> BatchReport:
        async with store.timed_transaction(self.engine) as (connection, began):
            claim = await claim_due(connection, self.settings.batch_size, lane)
            if claim is None:
                return BatchReport()
            plan = plan_batch(claim)
            if plan.behind_dead_letters:
                plan.confirm_dead_letters(
                    await store.still_dead(connection, list(plan.behind_dead_letters))
                )
            messages = [row.message for row in plan.to_send()]
            timeout = self.settings.publish_timeout_seconds
            sent = await publish_batch(self.publisher, messages, timeout) if messages else []
            # From just before BEGIN, not from the claim's end: the claim itself may take tens of
            # ms, and a retry scheduled from now() plus the publish alone came out in the past.
            settled_at = claim.now + timedelta(seconds=time.monotonic() - began)
            outcome = settle(plan, plan.results(sent), settled_at, self.settings, self._rng)
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

    async def _relay_loop(self, nudge: asyncio.Event) -> None:
        """One loop over all keys; a full batch (a backlog) is drained by the lanes at once."""
        failing_batches, retry_at = 0, None
        while not self._stopping.is_set():
            report = await self._guarded_batch(ALL_KEYS)
            if report is None or report.all_failed:
                failing_batches += 1
                await self._sleep(backoff_seconds(failing_batches, self.settings, self._rng))
                continue
            failing_batches = 0
            retry_at = _earliest(retry_at, report.next_retry_at)
            if not report.backlog(self.settings.batch_size):
                retry_at = await self._idle(nudge, retry_at)
            elif self.settings.lanes > 1:
                retry_at = _earliest(retry_at, await self._drain_in_lanes())

    async def _drain_in_lanes(self) -> datetime | None:
        lanes = [Lane(index, self.settings.lanes) for index in range(self.settings.lanes)]
        retries = await asyncio.gather(*map(self._drain_lane, lanes))
        return min((retry for retry in retries if retry is not None), default=None)

    async def _drain_lane(self, lane: Lane) -> datetime | None:
        retry_at = None
        while not self._stopping.is_set():
            report = await self._guarded_batch(lane)
            if report is None:
                return retry_at
            retry_at = _earliest(retry_at, report.next_retry_at)
            if report.all_failed or not report.backlog(self.settings.batch_size):
                return retry_at
        return retry_at

    async def _guarded_batch(self, lane: Lane) -> BatchReport | None:
        try:
            return await self.publish_due_batch(lane)
        except Exception as error:  # PostgreSQL away, or a bug: back off, never die
            logger.warning("outbox relay batch failed", error=repr(error))
            return None

    async def _idle(self, nudge: asyncio.Event, retry_at: datetime | None) -> datetime | None:
        """Waits for a nudge, the next retry the relay scheduled, or the poll interval."""
        timeout = self.settings.poll_interval_seconds
        if retry_at is not None:
            timeout = min(timeout, (retry_at - utc_now()).total_seconds())
        await self._until_stopped_or(nudge.wait(), max(MIN_IDLE_SECONDS, timeout))
        nudge.clear()  # before the next claim, which sees every commit that nudged
        return retry_at if retry_at is not None and retry_at > utc_now() else None

    async def _listen(self, wakeup: RelayWakeup, nudge: asyncio.Event) -> None:
        while not self._stopping.is_set():
            try:
                woken = await wakeup.wait(self.settings.poll_interval_seconds)
            except (RedisError, OSError) as error:
                logger.warning("outbox wake-up channel unavailable; polling", error=repr(error))
                await self._sleep(self.settings.poll_interval_seconds)
                continue
            if woken:
                nudge.set()

    async def _until_stopped_or(self, waiting: Awaitable[object], timeout: float) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        work = asyncio.ensure_future(waiting)
        try:
            await asyncio.wait({stop, work}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            work.cancel()

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
    retries = [f.next_attempt_at for f in outcome.failures if not f.dead_lettered]
    retries += [until for until in outcome.parked if until != FOREVER]
    return BatchReport(
        claimed=claimed,
        published=len(outcome.published),
        failed=len(outcome.failures),
        dead_lettered=sum(failure.dead_lettered for failure in outcome.failures),
        parked=sum(len(row_ids) for row_ids in outcome.parked.values()),
        held=len(outcome.held),
        next_retry_at=min(retries, default=None),
    )


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return min((moment for moment in (first, second) if moment is not None), default=None)


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
