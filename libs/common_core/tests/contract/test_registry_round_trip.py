from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common_core.events import (
    EventSpec,
    all_event_specs,
    decode_envelope,
    decode_envelope_as,
    encode_envelope,
    new_envelope,
)

pytestmark = pytest.mark.contract

ModelStrategy = Callable[[type[Any]], st.SearchStrategy[Any]]

SPECS = all_event_specs()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.topic)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), correlation_id=st.uuids())
def test_every_event_survives_kafka_bytes_and_the_registry_typed(
    spec: EventSpec, models: ModelStrategy, data: st.DataObject, correlation_id: UUID
) -> None:
    payload = data.draw(models(spec.payload_model))
    envelope = new_envelope(payload, source_service=spec.producer, correlation_id=correlation_id)

    decoded = decode_envelope(spec.topic, encode_envelope(envelope))

    assert decoded == envelope
    assert type(decoded.data) is spec.payload_model
    assert decoded.event_type == spec.topic


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.topic)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_decode_as_the_registered_model_returns_that_model(
    spec: EventSpec, models: ModelStrategy, data: st.DataObject
) -> None:
    payload = data.draw(models(spec.payload_model))
    raw = encode_envelope(
        new_envelope(payload, source_service=spec.producer, correlation_id=data.draw(st.uuids()))
    )

    decoded = decode_envelope_as(spec.topic, raw, spec.payload_model)

    assert decoded.data == payload
