"""What the relay does with one claimed batch, decided without I/O.

Order per key: a row is published only after every earlier row of its key. A claimed row behind
an unclaimed one is parked until that row's next attempt; a row behind one that failed in this
batch is parked the same way, without an attempt counted against it; only the failing row itself
backs off and, past the attempt limit, is dead-lettered.

Parking is also what keeps the relay moving: the claim takes due rows in (next_attempt_at, seq)
order, and a parked row then sorts after the row it waits for, so it cannot crowd that row out of
the next claim.

Two waits write nothing. A row behind one that another relay is publishing right now is left as
it is ("held"): its next claim sees what became of that row. Parking it behind a row already due
would make it due again at once, and the relay would claim and park it again in a tight loop for
as long as the other relay's batch lasts (a broker pause: thousands of row updates a second). And
a row whose publish was not even attempted (the batch's deadline passed while another message
was being isolated) is held too: no attempt is counted against it.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from huleedu_service_libs.outbox.claim import FOREVER, Claim, ClaimedRow
from huleedu_service_libs.outbox.publishing import HeldBackError, NotAttemptedError
from huleedu_service_libs.outbox.settings import OutboxSettings, backoff_seconds
from huleedu_service_libs.outbox.store import Failure

MAX_ERROR_LENGTH = 2000


@dataclass
class BatchPlan:
    ready: list[ClaimedRow]
    parked: dict[datetime, list[uuid.UUID]]
    held: list[uuid.UUID] = field(default_factory=list)
    # Rows behind a dead letter, by its id: parked for ever only once it is confirmed to be one.
    behind_dead_letters: dict[uuid.UUID, list[uuid.UUID]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Results known without sending (by position in `ready`): unreadable envelopes, their keys.
    preset: dict[int, BaseException] = field(default_factory=dict)

    def to_send(self) -> list[ClaimedRow]:
        return [row for index, row in enumerate(self.ready) if index not in self.preset]

    def results(self, sent: Sequence[BaseException | None]) -> list[BaseException | None]:
        """The results of every ready row: the preset ones, and those of the rows sent."""
        answers = iter(sent)
        return [self.preset.get(index) or next(answers) for index in range(len(self.ready))]

    def confirm_dead_letters(self, still_dead: set[uuid.UUID]) -> None:
        """Rows behind a dead letter that is gone (re-driven, discarded) wait for the next claim."""
        for dead_id, row_ids in self.behind_dead_letters.items():
            if dead_id in still_dead:
                self.parked[FOREVER].extend(row_ids)
            else:
                self.held.extend(row_ids)
        self.behind_dead_letters.clear()


@dataclass
class BatchOutcome:
    published: list[ClaimedRow] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    parked: dict[datetime, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    held: list[uuid.UUID] = field(default_factory=list)


def plan_batch(claim: Claim) -> BatchPlan:
    plan = BatchPlan(ready=[], parked=defaultdict(list))
    unreadable_keys: set[str] = set()
    for row in claim.rows:
        if row.behind_in_flight:
            plan.held.append(row.id)
        elif row.behind_dead_letter is not None:
            plan.behind_dead_letters[row.behind_dead_letter].append(row.id)
        elif row.blocked_until is not None:
            plan.parked[row.blocked_until].append(row.id)
        else:
            _add_ready(plan, row, unreadable_keys)
    return plan


def _add_ready(plan: BatchPlan, row: ClaimedRow, unreadable_keys: set[str]) -> None:
    index = len(plan.ready)
    plan.ready.append(row)
    if row.event_key is not None and row.event_key in unreadable_keys:
        plan.preset[index] = HeldBackError("an earlier event of the same key is unreadable")
    elif row.unreadable is not None:
        plan.preset[index] = row.unreadable
        if row.event_key is not None:
            unreadable_keys.add(row.event_key)


def settle(
    plan: BatchPlan,
    results: Sequence[BaseException | None],
    now: datetime,
    settings: OutboxSettings,
    rng: random.Random | None = None,
) -> BatchOutcome:
    outcome = BatchOutcome(parked=defaultdict(list, plan.parked), held=list(plan.held))
    held_keys: dict[str, datetime] = {}
    untouched_keys: set[str] = set()
    for row, error in zip(plan.ready, results, strict=True):
        if row.event_key is not None and row.event_key in held_keys:
            outcome.parked[held_keys[row.event_key]].append(row.id)
        elif (row.event_key is not None and row.event_key in untouched_keys) or isinstance(
            error, NotAttemptedError | HeldBackError
        ):
            outcome.held.append(row.id)
            if row.event_key is not None:
                untouched_keys.add(row.event_key)
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
