from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from quart.typing import TestClientProtocol as Client

from common_core.events.class_management import ClassCreatedV1
from common_core.events.codec import decode_envelope_as
from huleedu_service_libs.correlation import CorrelationContext
from services.class_management_service.tests.integration.conftest import (
    OTHER_TEACHER,
    TEACHER,
)

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]


async def _create_class(client: Client, name: str = "9A", course: str = "ENG5") -> Any:
    response = await client.post(
        "/v1/classes", json={"name": name, "course_codes": [course]}, headers=TEACHER
    )
    assert response.status_code == 201, await response.get_data()
    return await response.get_json()


async def test_create_class_commits_the_row_and_its_outbox_event(client: Client, sql: Sql) -> None:
    response = await client.post(
        "/v1/classes/",
        json={"name": " 9A ", "course_codes": ["eng5"]},
        headers={**TEACHER, "X-Correlation-ID": "create-9a"},
    )

    body = await response.get_json()
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == "create-9a"
    assert (body["name"], body["course_code"], body["student_count"]) == ("9A", "ENG5", 0)
    assert body["course"] == {"code": "ENG5", "name": "English 5", "language": "en", "level": 5}
    [row] = await sql("SELECT owner_user_id, name FROM classes WHERE id = :id", id=UUID(body["id"]))
    assert tuple(row) == ("teacher-1", "9A")
    [outbox] = await sql(
        "SELECT topic, aggregate_type, aggregate_id, event_data::text FROM event_outbox"
    )
    envelope = decode_envelope_as(outbox.topic, outbox.event_data, ClassCreatedV1)
    assert (outbox.aggregate_type, outbox.aggregate_id) == ("class", body["id"])
    assert str(envelope.data.class_id) == body["id"]
    assert envelope.correlation_id == CorrelationContext.from_header("create-9a").uuid


async def test_read_list_update_delete(client: Client, sql: Sql) -> None:
    first = await _create_class(client, "9A", "ENG5")
    second = await _create_class(client, "7C", "SV1")

    got = await client.get(f"/v1/classes/{first['id']}", headers=TEACHER)
    listed = await client.get("/v1/classes?course=SV1&limit=10", headers=TEACHER)
    updated = await client.put(f"/v1/classes/{first['id']}", json={"name": "9B"}, headers=TEACHER)
    deleted = await client.delete(f"/v1/classes/{second['id']}", headers=TEACHER)
    gone = await client.get(f"/v1/classes/{second['id']}", headers=TEACHER)

    assert (await got.get_json())["name"] == "9A"
    page = await listed.get_json()
    assert ([item["id"] for item in page["items"]], page["total"]) == ([second["id"]], 1)
    assert (await updated.get_json())["name"] == "9B"
    assert (deleted.status_code, gone.status_code) == (204, 404)
    topics = [row.topic for row in await sql("SELECT topic FROM event_outbox ORDER BY seq")]
    assert topics == [
        "huleedu.class_management.class.created.v1",
        "huleedu.class_management.class.created.v1",
        "huleedu.class_management.class.updated.v1",
        "huleedu.class_management.class.deleted.v1",
    ]


async def test_another_teachers_class_is_a_404_for_every_route(client: Client) -> None:
    mine = await _create_class(client)
    student = await client.post(
        "/v1/classes/students",
        json={"first_name": "A", "last_name": "B", "email": "ab@x.se"},
        headers=OTHER_TEACHER,
    )
    their_student = (await student.get_json())["id"]
    class_url = f"/v1/classes/{mine['id']}"
    attempts = [
        client.get(class_url, headers=OTHER_TEACHER),
        client.put(class_url, json={"name": "x"}, headers=OTHER_TEACHER),
        client.delete(class_url, headers=OTHER_TEACHER),
        client.get(f"{class_url}/students", headers=OTHER_TEACHER),
        client.post(f"{class_url}/students/{their_student}", headers=OTHER_TEACHER),
        client.post(
            f"{class_url}/students/import",
            data=b"first_name,last_name,email\nA,B,c@x.se\n",
            headers={**OTHER_TEACHER, "Content-Type": "text/csv"},
        ),
    ]
    for attempt in attempts:
        response = await attempt
        body = await response.get_json()
        assert (response.status_code, body["error_code"]) == (404, "RESOURCE_NOT_FOUND")
        assert body["details"]["resource"] == "class"
    listed = await (await client.get("/v1/classes", headers=OTHER_TEACHER)).get_json()
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "9A", "course_codes": ["ENG5", "SV1"]}, 400, "VALIDATION_ERROR"),
        ({"name": "9A", "course_codes": ["MATH9"]}, 404, "RESOURCE_NOT_FOUND"),
        ({"name": "9A", "course_codes": []}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"name": "   ", "course_codes": ["ENG5"]}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"name": 9, "course_codes": ["ENG5"]}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"name": "9A", "course_codes": "ENG5"}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"name": "9A", "course_codes": ["ENG5"], "extra": 1}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"name": "x" * 256, "course_codes": ["ENG5"]}, 422, "SCHEMA_VALIDATION_ERROR"),
        ([], 422, "SCHEMA_VALIDATION_ERROR"),
    ],
)
async def test_bad_class_bodies_are_refused_with_their_code(
    client: Client, sql: Sql, body: Any, status: int, code: str
) -> None:
    response = await client.post(
        "/v1/classes", json=body, headers={**TEACHER, "X-Correlation-ID": "bad-input"}
    )
    error = await response.get_json()
    assert (response.status_code, error["error_code"]) == (status, code)
    assert error["original_correlation_id"] == "bad-input"
    assert await sql("SELECT id FROM classes") == []


async def test_malformed_and_mistyped_requests(client: Client) -> None:
    cases = [
        (
            client.post(
                "/v1/classes",
                data=b"{not json",
                headers={**TEACHER, "Content-Type": "application/json"},
            ),
            400,
        ),
        (
            client.post(
                "/v1/classes", data=b"", headers={**TEACHER, "Content-Type": "application/json"}
            ),
            400,
        ),
        (
            client.post(
                "/v1/classes",
                data=b"name=9A",
                headers={**TEACHER, "Content-Type": "application/x-www-form-urlencoded"},
            ),
            415,
        ),
        (client.post("/v1/classes", json={"name": "9A", "course_codes": ["ENG5"]}), 401),
        (
            client.post(
                "/v1/classes",
                json={"name": "9A", "course_codes": ["ENG5"]},
                headers={"X-User-ID": "  "},
            ),
            401,
        ),
        (client.get("/v1/classes/not-a-uuid", headers=TEACHER), 404),
        (client.get(f"/v1/classes/{uuid4()}", headers=TEACHER), 404),
        (client.get("/v1/classes?limit=0", headers=TEACHER), 422),
        (client.get("/v1/classes?limit=abc", headers=TEACHER), 422),
        (client.get("/v1/classes?course=NOPE", headers=TEACHER), 404),
        (client.put(f"/v1/classes/{uuid4()}", json={}, headers=TEACHER), 400),
        (client.patch(f"/v1/classes/{uuid4()}", json={}, headers=TEACHER), 405),
    ]
    for request, status in cases:
        response = await request
        body = await response.get_json()
        assert response.status_code == status, body
        assert body["correlation_id"]


async def test_an_empty_update_is_refused_and_a_same_value_update_publishes_nothing(
    client: Client, sql: Sql
) -> None:
    created = await _create_class(client)
    url = f"/v1/classes/{created['id']}"

    empty = await client.put(url, json={}, headers=TEACHER)
    same = await client.put(url, json={"name": "9A", "course_codes": ["ENG5"]}, headers=TEACHER)
    two = await client.put(url, json={"course_codes": ["ENG5", "ENG6"]}, headers=TEACHER)

    assert (empty.status_code, same.status_code, two.status_code) == (400, 200, 400)
    assert len(await sql("SELECT id FROM event_outbox")) == 1
