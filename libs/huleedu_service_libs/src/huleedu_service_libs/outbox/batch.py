"""What the relay does with one claimed batch, decided without I/O.

Order per key: a row is published only after every earlier row of its key. A claimed row behind
an unclaimed one is parked until that row's next attempt; a row behind one that failed in this
batch is parked the same way, without an attempt counted against it; only the failing row itself
backs off and, past the attempt limit, is dead-lettered.

Parking is also what keeps the relay moving: the claim takes due rows in (next_attempt_at, seq)
order, and a parked row then sorts after the row it waits for, so it cannot crowd that row out of
the next claim.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from huleedu_service_libs.outbox.claim import FOREVER, Claim, ClaimedRow
from huleedu_service_libs.outbox.settings import OutboxSettings, backoff_seconds
from huleedu_service_libs.outbox.store import Failure

MAX_ERROR_LENGTH = 2000


@dataclass
class BatchPlan:
    ready: list[ClaimedRow]
    parked: dict[datetime, list[uuid.UUID]]


@dataclass
class BatchOutcome:
    published: list[ClaimedRow] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    parked: dict[datetime, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))


def plan_batch(claim: Claim) -> BatchPlan:
    plan = BatchPlan(ready=[], parked=defaultdict(list))
    for row in claim.rows:
        if row.blocked_until is None:
            plan.ready.append(row)
        else:
            plan.parked[row.blocked_until].append(row.id)
    return plan


def settle(
    plan: BatchPlan,
    results: Sequence[BaseException | None],
    now: datetime,
    settings: OutboxSettings,
    rng: random.Random | None = None,
) -> BatchOutcome:
    outcome = BatchOutcome(parked=defaultdict(list, plan.parked))
    held_keys: dict[str, datetime] = {}
    for row, error in zip(plan.ready, results, strict=True):
        if row.event_key is not None and row.event_key in held_keys:
            outcome.parked[held_keys[row.event_key]].append(row.id)
        elif error is not None:
            failure = _failure(row, error, now, settings, rng)
            outcome.failures.append(failure)
            if row.event_key is not None:
                held_keys[row.event_key] = _retry_time(failure)
        else:
            outcome.published.append(row)
    return outcome


def _failure(
    row: ClaimedRow,
    error: BaseException,
    now: datetime,
    settings: OutboxSettings,
    rng: random.Random | None,
) -> Failure:
    attempts = row.retry_count + 1
    delay = timedelta(seconds=backoff_seconds(attempts, settings, rng))
    return Failure(
        row_id=row.id,
        event_type=row.event_type,
        retry_count=attempts,
        error=f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH],
        next_attempt_at=now + delay,
        dead_lettered=attempts >= settings.max_attempts,
    )


def _retry_time(failure: Failure) -> datetime:
    return FOREVER if failure.dead_lettered else failure.next_attempt_at
