"""The caller's correlation string rides in envelope metadata and is restored by consumers."""

from uuid import uuid4

from common_core.events.class_management import ClassCreatedV1
from common_core.events.codec import decode_envelope, encode_envelope, new_envelope
from common_core.events.envelope import EventEnvelope
from huleedu_service_libs.correlation import (
    ORIGINAL_CORRELATION_KEY,
    CorrelationContext,
    correlation_of,
    correlation_scope,
    with_original_correlation,
)


def _envelope(context: CorrelationContext) -> EventEnvelope[ClassCreatedV1]:
    payload = ClassCreatedV1(class_id=uuid4(), owner_user_id="t-1", name="9A", course_code="ENG5")
    return new_envelope(payload, source_service="test", correlation_id=context.uuid)


def test_the_original_string_survives_the_wire() -> None:
    context = CorrelationContext.from_header("teacher-request-42")
    with correlation_scope(context):
        stamped = with_original_correlation(_envelope(context))

    received = decode_envelope(stamped.event_type, encode_envelope(stamped))

    assert correlation_of(received) == context


def test_a_uuid_correlation_adds_nothing() -> None:
    context = CorrelationContext.generate()
    with correlation_scope(context):
        stamped = with_original_correlation(_envelope(context))

    assert ORIGINAL_CORRELATION_KEY not in stamped.metadata
    assert correlation_of(stamped) == context


def test_an_event_of_another_correlation_is_left_alone() -> None:
    request = CorrelationContext.from_header("teacher-request-42")
    other = CorrelationContext.from_header("nightly-sweep")
    with correlation_scope(request):
        stamped = with_original_correlation(_envelope(other))

    assert ORIGINAL_CORRELATION_KEY not in stamped.metadata


def test_an_original_that_does_not_map_to_the_uuid_is_not_trusted() -> None:
    context = CorrelationContext.from_header("teacher-request-42")
    forged = _envelope(context).model_copy(
        update={"metadata": {ORIGINAL_CORRELATION_KEY: "someone-else"}}
    )

    assert correlation_of(forged) == CorrelationContext.from_uuid(context.uuid)


def test_outside_any_context_the_envelope_is_unchanged() -> None:
    envelope = _envelope(CorrelationContext.from_header("teacher-request-42"))

    assert with_original_correlation(envelope) is envelope
