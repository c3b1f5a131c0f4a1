from datetime import timedelta
from uuid import NAMESPACE_DNS, UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from common_core.courses import CourseCode
from common_core.events import (
    ClassCreatedV1,
    EventEnvelope,
    EventPayload,
    deterministic_event_id,
    topic_name,
)
from common_core.events.registry import ProcessingEvent

CLASS_CREATED = topic_name(ProcessingEvent.CLASS_CREATED)


def class_created() -> ClassCreatedV1:
    return ClassCreatedV1(
        class_id=uuid4(), owner_user_id="teacher-1", name="9A", course_code=CourseCode.SV2
    )


def envelope_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "event_type": CLASS_CREATED,
        "source_service": "class_management_service",
        "correlation_id": uuid4(),
        "data": class_created(),
    }
    return fields | overrides


def test_parametrised_envelope_validates_and_serialises_its_typed_payload() -> None:
    envelope = EventEnvelope[ClassCreatedV1].model_validate(envelope_fields())

    restored = EventEnvelope[ClassCreatedV1].model_validate_json(envelope.model_dump_json())

    payload: ClassCreatedV1 = restored.data
    assert payload == envelope.data
    assert restored.data.course_code is CourseCode.SV2


def test_parametrised_envelope_rejects_a_payload_of_another_shape() -> None:
    with pytest.raises(ValidationError, match=r"data\.class_id"):
        EventEnvelope[ClassCreatedV1].model_validate(envelope_fields(data={"name": "9A"}))


def test_correlation_id_is_required() -> None:
    fields = envelope_fields()
    del fields["correlation_id"]

    with pytest.raises(ValidationError, match="correlation_id"):
        EventEnvelope[ClassCreatedV1].model_validate(fields)


def test_defaults_give_a_fresh_id_and_the_current_utc_time() -> None:
    first = EventEnvelope[ClassCreatedV1].model_validate(envelope_fields())
    second = EventEnvelope[ClassCreatedV1].model_validate(envelope_fields())

    assert first.event_id != second.event_id
    assert first.event_timestamp.utcoffset() == timedelta(0)


def test_schema_version_defaults_to_the_topic_version() -> None:
    v3_topic = "huleedu.class_management.class.created.v3"

    envelope = EventEnvelope[ClassCreatedV1].model_validate(envelope_fields(event_type=v3_topic))

    assert envelope.schema_version == 3


def test_schema_version_that_contradicts_the_topic_is_rejected() -> None:
    with pytest.raises(ValidationError, match="schema_version 2"):
        EventEnvelope[ClassCreatedV1].model_validate(envelope_fields(schema_version=2))


@pytest.mark.parametrize(
    "event_type",
    ["ClassCreatedV1", "huleedu.class.created", "huleedu.created.v1", "huleedu.Class.created.v1"],
)
def test_event_type_must_be_a_versioned_topic_name(event_type: str) -> None:
    with pytest.raises(ValidationError, match="event_type"):
        EventEnvelope[ClassCreatedV1].model_validate(envelope_fields(event_type=event_type))


def test_envelope_is_immutable() -> None:
    envelope = EventEnvelope[ClassCreatedV1].model_validate(envelope_fields())

    with pytest.raises(ValidationError):
        envelope.event_id = uuid4()  # type: ignore[misc]


@given(namespace=st.text(min_size=1), key=st.text())
def test_deterministic_event_id_is_stable_for_the_same_inputs(namespace: str, key: str) -> None:
    first = deterministic_event_id(namespace, key)

    assert first == deterministic_event_id(namespace, key)
    assert first.version == 5


@given(key=st.text(), other=st.text())
def test_deterministic_event_id_differs_for_different_business_keys(key: str, other: str) -> None:
    if key != other:
        assert deterministic_event_id("outbox", key) != deterministic_event_id("outbox", other)


def test_deterministic_event_id_separates_namespaces() -> None:
    by_name = deterministic_event_id("entitlements.consumption", "key-1")
    by_other_name = deterministic_event_id("cj.consumption", "key-1")
    by_uuid = deterministic_event_id(NAMESPACE_DNS, "key-1")

    assert len({by_name, by_other_name, by_uuid}) == 3
    assert isinstance(by_uuid, UUID)


def test_envelope_typed_with_the_base_payload_class_keeps_every_payload_field() -> None:
    payload = class_created()

    envelope = EventEnvelope[EventPayload].model_validate(envelope_fields(data=payload))

    assert envelope.model_dump(mode="json")["data"] == payload.model_dump(mode="json")
