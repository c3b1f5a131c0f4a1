import json
from uuid import uuid4

import pytest

from common_core.courses import CourseCode
from common_core.events import (
    BatchFileRemovedV1,
    ClassCreatedV1,
    EventDecodeError,
    EventPayload,
    InvalidEventError,
    ProcessingEvent,
    UnknownTopicError,
    decode_envelope,
    decode_envelope_as,
    encode_envelope,
    new_envelope,
    topic_name,
)


def class_created_bytes() -> bytes:
    payload = ClassCreatedV1(
        class_id=uuid4(), owner_user_id="teacher-1", name="9A", course_code=CourseCode.ENG6
    )
    envelope = new_envelope(
        payload, source_service="class_management_service", correlation_id=uuid4()
    )
    return encode_envelope(envelope)


def edited(raw: bytes, **changes: object) -> bytes:
    document = json.loads(raw)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target = document
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return json.dumps(document).encode()


CLASS_CREATED = topic_name(ProcessingEvent.CLASS_CREATED)


def test_new_envelope_takes_topic_and_version_from_the_registry() -> None:
    envelope = json.loads(class_created_bytes())

    assert envelope["event_type"] == CLASS_CREATED
    assert envelope["schema_version"] == 1


def test_new_envelope_keeps_a_given_event_id_and_metadata() -> None:
    event_id = uuid4()
    payload = BatchFileRemovedV1(
        batch_id=uuid4(), file_upload_id=uuid4(), owner_user_id="t", original_file_name="a.txt"
    )

    envelope = new_envelope(
        payload,
        source_service="file_service",
        correlation_id=uuid4(),
        event_id=event_id,
        metadata={"traceparent": "00-abc-def-01"},
    )

    assert envelope.event_id == event_id
    assert envelope.metadata == {"traceparent": "00-abc-def-01"}


def test_new_envelope_refuses_an_unregistered_payload() -> None:
    class UnregisteredV1(EventPayload):
        pass

    with pytest.raises(LookupError, match="UnregisteredV1"):
        new_envelope(UnregisteredV1(), source_service="file_service", correlation_id=uuid4())


def test_decoded_envelope_carries_the_registered_payload_type() -> None:
    decoded = decode_envelope(CLASS_CREATED, class_created_bytes())

    assert isinstance(decoded.data, ClassCreatedV1)


def test_decode_as_gives_the_handler_a_statically_typed_payload() -> None:
    decoded = decode_envelope_as(CLASS_CREATED, class_created_bytes(), ClassCreatedV1)

    course: CourseCode = decoded.data.course_code
    assert course is CourseCode.ENG6


def test_decode_as_refuses_a_topic_that_carries_another_payload() -> None:
    with pytest.raises(TypeError, match="carries ClassCreatedV1"):
        decode_envelope_as(CLASS_CREATED, class_created_bytes(), BatchFileRemovedV1)


def test_unknown_topic_is_a_decode_error_naming_the_topic() -> None:
    with pytest.raises(UnknownTopicError, match=r"huleedu\.unknown\.thing\.v1") as raised:
        decode_envelope("huleedu.unknown.thing.v1", class_created_bytes())

    assert isinstance(raised.value, EventDecodeError)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json at all", "Invalid JSON"),
        (b"", "EOF"),
        (edited(class_created_bytes(), data__course_code="ENG9"), "data.course_code"),
        (edited(class_created_bytes(), data__class_id="not-a-uuid"), "data.class_id"),
        (edited(class_created_bytes(), correlation_id=None), "correlation_id"),
        (edited(class_created_bytes(), event_timestamp="2025-01-01T10:00:00"), "timezone"),
    ],
)
def test_invalid_bytes_raise_invalid_event_error_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEventError, match=reason) as raised:
        decode_envelope(CLASS_CREATED, raw)

    assert raised.value.topic == CLASS_CREATED
    assert isinstance(raised.value, EventDecodeError)


def test_envelope_that_names_another_topic_is_invalid() -> None:
    other_topic = "huleedu.class_management.class.updated.v1"
    raw = edited(class_created_bytes(), event_type=other_topic)

    with pytest.raises(InvalidEventError, match=r"class\.updated"):
        decode_envelope(CLASS_CREATED, raw)


def test_unknown_payload_fields_are_ignored_for_forward_compatibility() -> None:
    raw = edited(class_created_bytes(), data__added_later="value")

    decoded = decode_envelope(CLASS_CREATED, raw)

    assert not hasattr(decoded.data, "added_later")
