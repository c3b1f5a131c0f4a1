"""Deciding a claimed batch: what is published, what backs off, what waits (no I/O)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huleedu_service_libs.kafka import OutgoingMessage
from huleedu_service_libs.outbox.batch import plan_batch, settle
from huleedu_service_libs.outbox.claim import FOREVER, Claim, ClaimedRow
from huleedu_service_libs.outbox.publishing import NotAttemptedError
from huleedu_service_libs.outbox.settings import OutboxSettings

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SETTINGS = OutboxSettings(max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=100)


def row(
    seq: int, key: str | None, retry_count: int = 0, blocked_until: datetime | None = None
) -> ClaimedRow:
    return ClaimedRow(
        id=uuid.UUID(int=seq),
        seq=seq,
        event_key=key,
        event_type="huleedu.test.ping.v1",
        created_at=NOW - timedelta(seconds=1),
        retry_count=retry_count,
        blocked_until=blocked_until,
        message=OutgoingMessage("topic", b"{}", None if key is None else key.encode()),
    )


def test_rows_behind_an_unclaimed_row_of_their_key_are_parked_until_it_is_due() -> None:
    later = NOW + timedelta(seconds=30)
    plan = plan_batch(Claim(NOW, [row(1, "a"), row(2, "b", blocked_until=later), row(3, "c")]))
    assert [r.seq for r in plan.ready] == [1, 3]
    assert dict(plan.parked) == {later: [uuid.UUID(int=2)]}


def test_a_failure_backs_off_and_holds_back_its_key_without_counting_against_it() -> None:
    plan = plan_batch(Claim(NOW, [row(1, "a"), row(2, "b"), row(3, "a"), row(4, "b")]))
    outcome = settle(plan, [ValueError("too big"), None, None, None], NOW, SETTINGS)

    [failure] = outcome.failures
    assert (failure.row_id, failure.retry_count, failure.error) == (
        uuid.UUID(int=1),
        1,
        "ValueError: too big",
    )
    assert NOW + timedelta(seconds=5) <= failure.next_attempt_at < NOW + timedelta(seconds=10)
    assert not failure.dead_lettered
    assert [r.seq for r in outcome.published] == [2, 4]
    assert dict(outcome.parked) == {failure.next_attempt_at: [uuid.UUID(int=3)]}


def test_the_last_allowed_attempt_dead_letters_and_parks_its_key_for_ever() -> None:
    plan = plan_batch(Claim(NOW, [row(1, "a", retry_count=2), row(2, "a")]))
    outcome = settle(plan, [RuntimeError("no"), None], NOW, SETTINGS)
    assert [(f.retry_count, f.dead_lettered) for f in outcome.failures] == [(3, True)]
    assert dict(outcome.parked) == {FOREVER: [uuid.UUID(int=2)]}


def test_rows_without_a_key_are_never_held_back() -> None:
    plan = plan_batch(Claim(NOW, [row(1, None), row(2, None)]))
    outcome = settle(plan, [ConnectionError("down"), None], NOW, SETTINGS)
    assert [r.seq for r in outcome.published] == [2]
    assert not outcome.parked


def test_rows_behind_another_relays_in_flight_row_are_left_untouched() -> None:
    behind = row(2, "a")
    behind.behind_in_flight = True
    plan = plan_batch(Claim(NOW, [row(1, "b"), behind]))
    outcome = settle(plan, plan.results([None]), NOW, SETTINGS)
    assert [r.seq for r in outcome.published] == [1]
    assert outcome.held == [uuid.UUID(int=2)]
    assert not outcome.parked


def test_rows_behind_a_dead_letter_wait_for_ever_only_if_it_is_still_one() -> None:
    gone, kept = uuid.UUID(int=100), uuid.UUID(int=101)
    rows = [row(2, "a", blocked_until=FOREVER), row(3, "b", blocked_until=FOREVER)]
    rows[0].behind_dead_letter, rows[1].behind_dead_letter = gone, kept
    plan = plan_batch(Claim(NOW, rows))
    plan.confirm_dead_letters({kept})
    assert dict(plan.parked) == {FOREVER: [uuid.UUID(int=3)]}
    assert plan.held == [uuid.UUID(int=2)]


def test_an_unreadable_row_fails_on_its_own_and_its_key_waits_behind_it() -> None:
    unreadable = row(1, "a")
    unreadable.unreadable = ValueError("not JSON")
    plan = plan_batch(Claim(NOW, [unreadable, row(2, "a"), row(3, "b")]))
    assert [r.seq for r in plan.to_send()] == [3]
    outcome = settle(plan, plan.results([None]), NOW, SETTINGS)
    assert [f.row_id for f in outcome.failures] == [uuid.UUID(int=1)]
    assert [r.seq for r in outcome.published] == [3]
    assert list(outcome.parked.values()) == [[uuid.UUID(int=2)]]


def test_a_row_not_attempted_is_held_with_the_rest_of_its_key_and_charged_nothing() -> None:
    plan = plan_batch(Claim(NOW, [row(1, "a"), row(2, "a"), row(3, "b")]))
    outcome = settle(plan, [NotAttemptedError("deadline"), None, None], NOW, SETTINGS)
    assert outcome.failures == []
    assert outcome.held == [uuid.UUID(int=1), uuid.UUID(int=2)]
    assert [r.seq for r in outcome.published] == [3]


keys = st.sampled_from(["a", "b", "c", None])
results = st.sampled_from([None, None, ValueError("refused"), NotAttemptedError("late")])


@given(st.lists(st.tuples(keys, results), min_size=1, max_size=40), st.integers())
def test_every_row_lands_in_exactly_one_bucket_and_no_key_skips_a_failure(
    batch: list[tuple[str | None, Exception | None]], seed: int
) -> None:
    rows = [row(seq, key) for seq, (key, _) in enumerate(batch, start=1)]
    outcome = settle(
        plan_batch(Claim(NOW, rows)), [r for _, r in batch], NOW, SETTINGS, random.Random(seed)
    )

    published = [r.id for r in outcome.published]
    failed = [f.row_id for f in outcome.failures]
    parked = [row_id for ids in outcome.parked.values() for row_id in ids]
    assert sorted(published + failed + parked + outcome.held) == sorted(r.id for r in rows)
    failed_seqs = {f.row_id.int for f in outcome.failures}
    for published_row in outcome.published:
        earlier = [r for r in rows if r.seq < published_row.seq and r.event_key is not None]
        same_key = [r for r in earlier if r.event_key == published_row.event_key]
        assert not any(r.seq in failed_seqs or r.id in outcome.held for r in same_key)
