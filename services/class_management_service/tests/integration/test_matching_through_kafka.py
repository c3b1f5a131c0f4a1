"""The whole Phase 1 flow on the real servers: the worker consumes suggestions from Kafka, the
teacher confirms over HTTP, the monitor decides a forgotten batch, and the relay publishes each
StudentAssociationsConfirmedV1 (and the class and student events) to Kafka."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from quart.typing import TestClientProtocol as Client

from common_core.events.class_management import (
    ClassCreatedV1,
    StudentAssociationsConfirmedV1,
)
from common_core.events.codec import encode_envelope, new_envelope
from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.kafka.messages import OutgoingMessage, envelope_headers, header_value
from services.class_management_service.config import Settings
from services.class_management_service.tests.fakes import ManualClock
from services.class_management_service.tests.integration.conftest import TEACHER
from services.class_management_service.tests.integration.kafka_reading import wait_for_event
from services.class_management_service.tests.unit.matching_setup import suggestions_event
from services.class_management_service.tests.wiring import sql_container
from services.class_management_service.worker_main import run_worker
from services.class_management_service.workers.timeout_schedule import sweep_once

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CONFIRMED = topic_name(ProcessingEvent.STUDENT_ASSOCIATIONS_CONFIRMED)
CLASS_CREATED = topic_name(ProcessingEvent.CLASS_CREATED)


@pytest.fixture
async def running_worker(worker_settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(worker_settings, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, 30)


@pytest.fixture
async def nlp_bus(worker_settings: Settings) -> AsyncIterator[KafkaBus]:
    bus = KafkaBus(
        worker_settings.KAFKA_BOOTSTRAP_SERVERS,
        "nlp_service",
        worker_settings.KAFKA_ENABLE_IDEMPOTENCE,
    )
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture(autouse=True)
def correlation() -> Iterator[None]:
    with correlation_scope(CorrelationContext.generate()):
        yield


async def _class_and_roster(client: Client, size: int) -> tuple[UUID, list[UUID]]:
    created = await client.post(
        "/v1/classes", json={"name": "9A", "course_codes": ["ENG6"]}, headers=TEACHER
    )
    class_id = (await created.get_json())["id"]
    csv = "first_name,last_name,email\n" + "".join(f"S{i},L,s{i}@x.se\n" for i in range(size))
    imported = await client.post(
        f"/v1/classes/{class_id}/students/import",
        data=csv.encode(),
        headers={**TEACHER, "Content-Type": "text/csv"},
    )
    rows = (await imported.get_json())["rows"]
    return UUID(class_id), [UUID(row["student_id"]) for row in rows]


async def _suggest(
    bus: KafkaBus, topic: str, class_id: UUID, rows: list[tuple[UUID, UUID | None, float]]
) -> tuple[UUID, Any]:
    envelope = new_envelope(
        suggestions_event(uuid4(), class_id, rows),
        source_service="nlp_service",
        correlation_id=uuid4(),
    )
    message = OutgoingMessage(topic, encode_envelope(envelope), None, envelope_headers(envelope))
    assert await bus.send_batch([message]) == [None]
    return envelope.data.batch_id, message


async def _stored(client: Client, batch_id: UUID, count: int, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/batches/{batch_id}/student-associations", headers=TEACHER)
        if response.status_code == 200:
            body = await response.get_json()
            if len(body["associations"]) == count:
                return body
        await asyncio.sleep(0.2)
    raise TimeoutError(f"batch {batch_id} was not stored")


@pytest.mark.usefixtures("running_worker")
async def test_suggestions_to_confirmation_through_kafka(
    client: Client, nlp_bus: KafkaBus, worker_settings: Settings
) -> None:
    bootstrap, topic = worker_settings.KAFKA_BOOTSTRAP_SERVERS, worker_settings.AUTHOR_MATCHES_TOPIC
    class_id, students = await _class_and_roster(client, 3)
    essays = [uuid4(), uuid4()]
    batch_id, message = await _suggest(
        nlp_bus, topic, class_id, [(essays[0], students[1], 0.91), (essays[1], None, 0.0)]
    )
    review = await _stored(client, batch_id, 2)
    await nlp_bus.send_batch([message])  # a redelivery: nothing new is stored

    by_essay = {item["essay_id"]: item for item in review["associations"]}
    assert by_essay[str(essays[0])]["confidence_score"] == 0.91
    confirm = {
        "decisions": [
            {"essay_id": str(essays[0]), "action": "accept"},
            {"essay_id": str(essays[1]), "action": "choose", "student_id": str(students[2])},
        ]
    }
    confirmed = await client.post(
        f"/v1/batches/{batch_id}/student-associations/confirm", json=confirm, headers=TEACHER
    )
    assert (await confirmed.get_json())["completed"] is True

    event, record = await wait_for_event(
        bootstrap, CONFIRMED, lambda e: e.data.batch_id == batch_id
    )
    assert isinstance(event.data, StudentAssociationsConfirmedV1)
    assert event.data.timeout_triggered is False
    assert {(a.essay_id, a.student_id) for a in event.data.associations} == {
        (essays[0], students[1]),
        (essays[1], students[2]),
    }
    assert header_value(record.headers, "event_id") == str(event.event_id)
    assert record.key == str(batch_id).encode()
    class_event, _ = await wait_for_event(
        bootstrap, CLASS_CREATED, lambda e: e.data.class_id == class_id
    )
    assert isinstance(class_event.data, ClassCreatedV1)

    # A batch nobody reviews is decided by the monitor once its clock passes the timeout.
    late_essay = uuid4()
    late_batch, _ = await _suggest(nlp_bus, topic, class_id, [(late_essay, students[0], 0.4)])
    await _stored(client, late_batch, 1)
    assert (
        len((await _stored(client, batch_id, 2))["associations"]) == 2
    )  # the redelivery added nothing
    clock = ManualClock(datetime.now(UTC) + timedelta(hours=24, minutes=1))
    async with sql_container(worker_settings, clock) as container:  # 24 h, then 0.7 decides
        await sweep_once(container)

    timed_out, _ = await wait_for_event(
        bootstrap, CONFIRMED, lambda e: e.data.batch_id == late_batch
    )
    [decided] = timed_out.data.associations
    assert timed_out.data.timeout_triggered is True
    assert decided.student_id not in students  # confidence 0.4: the class's UNKNOWN student
