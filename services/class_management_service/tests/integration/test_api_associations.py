from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from quart.typing import TestClientProtocol as Client

from common_core.events.class_management import StudentAssociationsConfirmedV1
from common_core.events.codec import decode_envelope_as
from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.correlation import CorrelationContext, correlation_scope
from services.class_management_service.handlers.suggestions import SuggestionHandler
from services.class_management_service.tests.integration.conftest import (
    OTHER_TEACHER,
    TEACHER,
)
from services.class_management_service.tests.unit.matching_setup import suggestions_event

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]
CONFIRMED_TOPIC = "huleedu.class_management.student_associations.confirmed.v1"


async def _class_with_students(client: Client, count: int) -> tuple[UUID, list[UUID]]:
    created = await client.post(
        "/v1/classes", json={"name": "9A", "course_codes": ["ENG5"]}, headers=TEACHER
    )
    class_id = (await created.get_json())["id"]
    students = []
    for index in range(count):
        body = {"first_name": f"S{index}", "last_name": "L", "email": f"s{index}@x.se"}
        response = await client.post(
            "/v1/classes/students", json={**body, "class_ids": [class_id]}, headers=TEACHER
        )
        students.append(UUID((await response.get_json())["id"]))
    return UUID(class_id), students


async def _suggest(
    app: HuleEduApp, class_id: UUID, rows: list[tuple[UUID, UUID | None, float]]
) -> UUID:
    batch_id = uuid4()
    with correlation_scope(CorrelationContext.generate()):
        async with app.container() as scope:
            handler = await scope.get(SuggestionHandler)
            await handler.handle(uuid4(), suggestions_event(batch_id, class_id, rows))
    return batch_id


async def test_review_shows_the_stored_confidence_and_the_roster(
    app: HuleEduApp, client: Client
) -> None:
    class_id, students = await _class_with_students(client, 2)
    essay = uuid4()
    batch_id = await _suggest(app, class_id, [(essay, students[1], 0.83)])

    response = await client.get(f"/v1/batches/{batch_id}/student-associations", headers=TEACHER)

    body = await response.get_json()
    assert response.status_code == 200
    [association] = body["associations"]
    assert association["essay_id"] == str(essay)
    assert association["confidence_score"] == 0.83
    assert association["suggested_student"]["id"] == str(students[1])
    assert association["validation_status"] == "pending_validation"
    assert body["pending_count"] == 1
    assert {student["id"] for student in body["roster"]} == {str(s) for s in students}


async def test_confirm_flow_publishes_one_event_and_replays_change_nothing(
    app: HuleEduApp, client: Client, sql: Sql
) -> None:
    class_id, students = await _class_with_students(client, 3)
    essays = [uuid4(), uuid4()]
    batch_id = await _suggest(
        app, class_id, [(essays[0], students[0], 0.9), (essays[1], None, 0.0)]
    )
    url = f"/v1/batches/{batch_id}/student-associations/confirm"
    decisions = {
        "decisions": [
            {"essay_id": str(essays[0]), "action": "accept"},
            {"essay_id": str(essays[1]), "action": "choose", "student_id": str(students[2])},
        ]
    }

    first = await client.post(
        url, json=decisions, headers={**TEACHER, "X-Correlation-ID": "review-1"}
    )
    replay = await client.post(url, json=decisions, headers=TEACHER)
    changed_mind = await client.post(
        url, json={"decisions": [{"essay_id": str(essays[0]), "action": "reject"}]}, headers=TEACHER
    )

    assert ((await first.get_json())["completed"], (await replay.get_json())["completed"]) == (
        True,
        False,
    )
    assert (changed_mind.status_code, (await changed_mind.get_json())["error_code"]) == (
        409,
        "CONFLICT",
    )
    rows = await sql(
        "SELECT topic, event_data::text FROM event_outbox WHERE topic = :t", t=CONFIRMED_TOPIC
    )
    [event] = [
        decode_envelope_as(row.topic, row.event_data, StudentAssociationsConfirmedV1)
        for row in rows
    ]
    assert event.correlation_id == CorrelationContext.from_header("review-1").uuid
    decided = {
        item.essay_id: (item.student_id, item.validation_method) for item in event.data.associations
    }
    assert decided == {essays[0]: (students[0], "human"), essays[1]: (students[2], "human")}
    stored = await sql(
        "SELECT validation_status, validation_method, validated_by FROM essay_student_associations"
    )
    assert {tuple(row) for row in stored} == {("confirmed", "human", "teacher-1")}


@pytest.mark.parametrize(
    ("decision", "status", "code"),
    [
        ({"action": "choose", "student_id": str(uuid4())}, 404, "RESOURCE_NOT_FOUND"),
        ({"action": "choose"}, 400, "VALIDATION_ERROR"),
        ({"action": "maybe"}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"action": "accept", "essay_id": str(uuid4())}, 404, "RESOURCE_NOT_FOUND"),
    ],
)
async def test_bad_decisions_change_nothing(
    app: HuleEduApp, client: Client, sql: Sql, decision: dict[str, str], status: int, code: str
) -> None:
    class_id, students = await _class_with_students(client, 1)
    essay = uuid4()
    batch_id = await _suggest(app, class_id, [(essay, students[0], 0.9)])
    body = {"decisions": [{"essay_id": str(essay), **decision}]}

    response = await client.post(
        f"/v1/batches/{batch_id}/student-associations/confirm", json=body, headers=TEACHER
    )

    assert (response.status_code, (await response.get_json())["error_code"]) == (status, code)
    assert [
        row.validation_status
        for row in await sql("SELECT validation_status FROM essay_student_associations")
    ] == ["pending_validation"]


async def test_another_teachers_or_an_unknown_batch_is_a_404(
    app: HuleEduApp, client: Client
) -> None:
    class_id, students = await _class_with_students(client, 1)
    essay = uuid4()
    batch_id = await _suggest(app, class_id, [(essay, students[0], 0.9)])
    confirm = {"decisions": [{"essay_id": str(essay), "action": "accept"}]}
    for response in (
        await client.get(f"/v1/batches/{batch_id}/student-associations", headers=OTHER_TEACHER),
        await client.post(
            f"/v1/batches/{batch_id}/student-associations/confirm",
            json=confirm,
            headers=OTHER_TEACHER,
        ),
        await client.get(f"/v1/batches/{uuid4()}/student-associations", headers=TEACHER),
    ):
        assert (response.status_code, (await response.get_json())["error_code"]) == (
            404,
            "RESOURCE_NOT_FOUND",
        )
