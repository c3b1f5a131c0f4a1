import re

import pytest

from common_core.events import (
    EventPayload,
    EventSpec,
    ProcessingEvent,
    UnknownTopicError,
    all_event_specs,
    event_for_topic,
    event_spec,
    payload_model_for,
    spec_for_payload,
    topic_name,
    topic_version,
    topics_consumed_by,
    topics_produced_by,
)
from common_core.events.envelope import TOPIC_PATTERN
from common_core.service_names import ServiceName

SPECS = all_event_specs()


def test_every_processing_event_is_registered_exactly_once() -> None:
    registered = [spec.event for spec in SPECS]

    assert sorted(registered) == sorted(ProcessingEvent)


@pytest.mark.parametrize("event", list(ProcessingEvent), ids=str)
def test_every_event_has_a_topic_and_a_payload_model(event: ProcessingEvent) -> None:
    assert re.fullmatch(TOPIC_PATTERN, topic_name(event))
    assert issubclass(payload_model_for(event), EventPayload)


def test_topics_and_payload_models_are_unique() -> None:
    assert len({spec.topic for spec in SPECS}) == len(SPECS)
    assert len({spec.payload_model for spec in SPECS}) == len(SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.topic)
def test_model_name_and_topic_carry_the_same_version(spec: EventSpec) -> None:
    assert spec.payload_model.__name__.endswith(f"V{topic_version(spec.topic)}")
    assert event_spec(spec.event) is spec


@pytest.mark.parametrize("event", list(ProcessingEvent), ids=str)
def test_topic_lookups_invert_each_other(event: ProcessingEvent) -> None:
    assert event_for_topic(topic_name(event)) is event
    assert spec_for_payload(payload_model_for(event)).event is event


def test_unknown_topic_raises_a_lookup_error_naming_the_topic() -> None:
    with pytest.raises(UnknownTopicError, match=r"huleedu\.nowhere\.thing\.v1") as raised:
        event_for_topic("huleedu.nowhere.thing.v1")

    assert isinstance(raised.value, LookupError)


def test_an_unregistered_payload_type_is_refused() -> None:
    class NotRegisteredV1(EventPayload):
        pass

    with pytest.raises(LookupError, match="NotRegisteredV1"):
        spec_for_payload(NotRegisteredV1)


def test_no_service_consumes_its_own_topic() -> None:
    assert all(spec.producer not in spec.consumers for spec in SPECS)


@pytest.mark.parametrize(
    "service",
    [
        ServiceName.ENTITLEMENTS,
        ServiceName.FILE,
        ServiceName.CLASS_MANAGEMENT,
        ServiceName.CJ_ASSESSMENT,
    ],
)
def test_each_service_of_this_repository_produces_topics(service: ServiceName) -> None:
    assert topics_produced_by(service)
    assert not service.is_external


def test_consumption_lookups_match_the_issue_flows() -> None:
    assert topic_name(ProcessingEvent.RESOURCE_CONSUMPTION) in topics_consumed_by(
        ServiceName.ENTITLEMENTS
    )
    assert topic_name(ProcessingEvent.BATCH_AUTHOR_MATCHES_SUGGESTED) in topics_consumed_by(
        ServiceName.CLASS_MANAGEMENT
    )
    assert topic_name(ProcessingEvent.ESSAY_CONTENT_PROVISIONED) in topics_consumed_by(
        ServiceName.CJ_ASSESSMENT
    )
