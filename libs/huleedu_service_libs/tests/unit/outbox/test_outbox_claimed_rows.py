"""Turning claimed rows into Kafka messages: headers, key, and waiting behind a gap."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from huleedu_service_libs.kafka import header_value
from huleedu_service_libs.outbox.claim import (
    FOREVER,
    ClaimShape,
    Gap,
    UnreadableEnvelopeError,
    _aware,
    _claimed_row,
    envelope_headers,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)
# A claim that was not full: every due row it did not get was locked by another relay.
SHAPE = ClaimShape(now=NOW, full=False, last=(NOW, 10))


def payload(traceparent: str | None = None) -> bytes:
    metadata = {} if traceparent is None else {"traceparent": traceparent}
    envelope = {"event_id": "e-id", "correlation_id": "c-id", "source_service": "svc"}
    return json.dumps({**envelope, "metadata": metadata, "data": {"n": 1}}).encode()


def record(
    seq: int, key: str | None, traceparent: str | None = None, body: bytes | None = None
) -> tuple[object, ...]:
    """A claim row as the driver returns it: the wire values already bytes (`convert_to`)."""
    return (
        False, seq, key, uuid.UUID(int=seq), "topic.x", "huleedu.test.ping.v1", NOW, 0,
        payload(traceparent) if body is None else body, NOW,
        None if key is None else key.encode(), b"huleedu.test.ping.v1", NOW,
    )  # fmt: skip


def gap(seq: int, due_at: datetime, dead: bool = False) -> Gap:
    until = FOREVER if dead else due_at
    return Gap(id=uuid.UUID(int=1000 + seq), seq=seq, until=until, due_at=due_at, dead=dead)


def test_the_payload_is_published_verbatim_with_the_standard_headers() -> None:
    claimed = _claimed_row(record(1, "k", traceparent="00-t-s-01"), {}, SHAPE)
    message = claimed.message
    assert (message.topic, message.key, message.value) == ("topic.x", b"k", payload("00-t-s-01"))
    assert {name: header_value(message.headers, name) for name, _ in message.headers} == {
        "event_id": "e-id",
        "event_type": "huleedu.test.ping.v1",
        "correlation_id": "c-id",
        "source_service": "svc",
        "traceparent": "00-t-s-01",
    }
    assert claimed.blocked_until is None


def test_no_traceparent_header_without_one_in_the_envelope_and_no_key_without_one() -> None:
    message = _claimed_row(record(1, None), {}, SHAPE).message
    assert message.key is None
    assert "traceparent" not in [name for name, _ in message.headers]


def test_a_header_the_envelope_lacks_is_left_out_and_a_non_string_is_sent_as_json() -> None:
    headers = envelope_headers(b'{"event_id": 7, "source_service": null}', b"t.v1")
    assert headers == [("event_id", b"7"), ("event_type", b"t.v1")]


def test_a_row_after_its_key_gap_waits_and_a_row_before_it_does_not() -> None:
    until = NOW + timedelta(seconds=9)
    gaps = {"k": gap(5, until)}
    assert _claimed_row(record(4, "k"), gaps, SHAPE).blocked_until is None
    assert _claimed_row(record(6, "k"), gaps, SHAPE).blocked_until == until


def test_behind_a_due_row_another_relay_holds_a_row_is_left_as_it_is_not_parked() -> None:
    """Parked until a time already past, it would be claimed again at once: a hot loop."""
    behind = _claimed_row(record(6, "k"), {"k": gap(5, NOW - timedelta(seconds=1))}, SHAPE)
    assert behind.behind_in_flight
    assert behind.blocked_until is None


def test_behind_a_due_row_beyond_a_full_claim_a_row_is_parked_after_it() -> None:
    due = NOW - timedelta(seconds=1)
    full = ClaimShape(now=NOW, full=True, last=(due - timedelta(seconds=1), 9))
    behind = _claimed_row(record(6, "k"), {"k": gap(5, due)}, full)
    assert (behind.behind_in_flight, behind.blocked_until) == (False, due)


def test_behind_a_dead_letter_a_row_waits_for_ever_naming_it() -> None:
    dead = gap(5, NOW, dead=True)
    behind = _claimed_row(record(6, "k"), {"k": dead}, SHAPE)
    assert (behind.blocked_until, behind.behind_dead_letter) == (FOREVER, dead.id)


def test_an_unreadable_envelope_is_a_row_of_its_own_not_a_failed_claim() -> None:
    claimed = _claimed_row(record(1, "k", body=b'{"event_id": "\\ud800"'), {}, SHAPE)
    assert isinstance(claimed.unreadable, UnreadableEnvelopeError)


def test_infinity_from_the_driver_means_for_ever() -> None:
    assert _aware(datetime.max) == FOREVER
    assert _aware(NOW) == NOW
