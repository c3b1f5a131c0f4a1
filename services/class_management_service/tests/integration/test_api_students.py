import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from quart.typing import TestClientProtocol as Client

from services.class_management_service.tests.integration.conftest import (
    OTHER_TEACHER,
    TEACHER,
)

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]


async def _class_id(client: Client, headers: dict[str, str] = TEACHER) -> str:
    response = await client.post(
        "/v1/classes", json={"name": "9A", "course_codes": ["ENG5"]}, headers=headers
    )
    return str((await response.get_json())["id"])


async def _student(client: Client, email: str, **extra: Any) -> Any:
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": email, **extra}
    response = await client.post("/v1/classes/students", json=body, headers=TEACHER)
    return response.status_code, await response.get_json()


async def test_student_lifecycle_with_class_memberships(client: Client, sql: Sql) -> None:
    class_id = await _class_id(client)
    status, created = await _student(client, "Ada@School.se", class_ids=[class_id])
    url = f"/v1/classes/students/{created['id']}"

    got = await (await client.get(url, headers=TEACHER)).get_json()
    updated = await client.put(url, json={"last_name": "King"}, headers=TEACHER)
    roster = await (
        await client.get(f"/v1/classes/{class_id}/students", headers=TEACHER)
    ).get_json()
    deleted = await client.delete(url, headers=TEACHER)
    after = await client.get(url, headers=TEACHER)

    assert status == 201
    assert (created["email"], created["class_ids"]) == ("ada@school.se", [class_id])
    assert got == created
    assert (await updated.get_json())["last_name"] == "King"
    assert [item["id"] for item in roster["items"]] == [created["id"]]
    assert (deleted.status_code, after.status_code) == (204, 404)
    assert await sql("SELECT * FROM class_student_association") == []
    topics = [
        row.topic.split(".")[-2] for row in await sql("SELECT topic FROM event_outbox ORDER BY seq")
    ]
    assert topics == ["created", "created", "updated", "deleted"]


async def test_duplicate_email_is_a_409_naming_the_existing_student(client: Client) -> None:
    _, first = await _student(client, "ada@x.se")
    status, error = await _student(client, " ADA@x.se")
    assert (status, error["error_code"]) == (409, "CONFLICT")
    assert error["details"]["resource"] == "student"
    assert error["details"]["existing_student_id"] == first["id"]

    _, second = await _student(client, "bo@x.se")
    moved = await client.put(
        f"/v1/classes/students/{second['id']}", json={"email": "ada@x.se"}, headers=TEACHER
    )
    body = await moved.get_json()
    assert (moved.status_code, body["details"]["existing_student_id"]) == (409, first["id"])


async def test_concurrent_creates_of_one_email_store_one_student(client: Client, sql: Sql) -> None:
    results = await asyncio.gather(*[_student(client, "race@x.se") for _ in range(6)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 5
    winner = next(body["id"] for status, body in results if status == 201)
    assert {body["details"]["existing_student_id"] for s, body in results if s == 409} == {winner}
    assert len(await sql("SELECT id FROM students")) == 1
    assert len(await sql("SELECT id FROM event_outbox")) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"first_name": "A", "last_name": "B", "email": "not-an-email"}, 400, "VALIDATION_ERROR"),
        (
            {"first_name": "A", "last_name": "B", "email": "x@huleedu.system"},
            400,
            "VALIDATION_ERROR",
        ),
        ({"first_name": "A", "last_name": "B", "email": ""}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"first_name": "", "last_name": "B", "email": "a@x.se"}, 422, "SCHEMA_VALIDATION_ERROR"),
        ({"first_name": "A", "email": "a@x.se"}, 422, "SCHEMA_VALIDATION_ERROR"),
        (
            {"first_name": "A", "last_name": "B", "email": "a@x.se", "class_ids": ["x"]},
            422,
            "SCHEMA_VALIDATION_ERROR",
        ),
        (
            {"first_name": "A", "last_name": "B", "email": "a@x.se", "class_ids": [str(uuid4())]},
            404,
            "RESOURCE_NOT_FOUND",
        ),
    ],
)
async def test_bad_student_bodies(
    client: Client, sql: Sql, body: Any, status: int, code: str
) -> None:
    response = await client.post("/v1/classes/students", json=body, headers=TEACHER)
    error = await response.get_json()
    assert (response.status_code, error["error_code"]) == (status, code)
    assert await sql("SELECT id FROM students") == []


async def test_another_teachers_student_is_a_404(client: Client) -> None:
    _, created = await _student(client, "ada@x.se")
    url = f"/v1/classes/students/{created['id']}"
    their_class = await _class_id(client, OTHER_TEACHER)
    for attempt in (
        client.get(url, headers=OTHER_TEACHER),
        client.put(url, json={"first_name": "x"}, headers=OTHER_TEACHER),
        client.delete(url, headers=OTHER_TEACHER),
        client.post(f"/v1/classes/{their_class}/students/{created['id']}", headers=OTHER_TEACHER),
    ):
        response = await attempt
        assert (response.status_code, (await response.get_json())["error_code"]) == (
            404,
            "RESOURCE_NOT_FOUND",
        )
    foreign = await _student(client, "bo@x.se", class_ids=[their_class])
    assert foreign[0] == 404


async def test_roster_add_and_remove(client: Client, sql: Sql) -> None:
    class_id = await _class_id(client)
    _, student = await _student(client, "ada@x.se")
    url = f"/v1/classes/{class_id}/students/{student['id']}"

    first = await client.post(url, headers=TEACHER)
    again = await client.post(url, headers=TEACHER)
    removed = await client.delete(url, headers=TEACHER)
    removed_again = await client.delete(url, headers=TEACHER)

    assert (first.status_code, again.status_code) == (201, 200)
    assert (await again.get_json())["added"] is False
    assert (removed.status_code, removed_again.status_code) == (204, 404)
    events = await sql(
        "SELECT event_data::json -> 'data' ->> 'class_ids' AS class_ids FROM event_outbox "
        "WHERE topic LIKE '%student.updated%' ORDER BY seq"
    )
    assert [row.class_ids for row in events] == [f'["{class_id}"]', "[]"]


async def test_deletes_keep_students_but_never_orphan_an_essay_association(
    client: Client, sql: Sql, execute: Sql
) -> None:
    plain = await _class_id(client)
    _, ada = await _student(client, "ada@x.se", class_ids=[plain])
    assert (await client.delete(f"/v1/classes/{plain}", headers=TEACHER)).status_code == 204
    kept = await client.get(f"/v1/classes/students/{ada['id']}", headers=TEACHER)
    assert (await kept.get_json())["class_ids"] == []

    linked = await _class_id(client)
    _, bo = await _student(client, "bo@x.se", class_ids=[linked])
    await execute(
        "INSERT INTO essay_student_associations (id, batch_id, class_id, essay_id, "
        "suggested_student_id, confidence_score, validation_status, source_event_id, "
        "created_at, updated_at) VALUES (:id, :batch, :class_id, :essay, :student, 0.9, "
        "'pending_validation', :event, now(), now())",
        id=uuid4(),
        batch=uuid4(),
        class_id=UUID(linked),
        essay=uuid4(),
        student=UUID(bo["id"]),
        event=uuid4(),
    )
    class_refused = await client.delete(f"/v1/classes/{linked}", headers=TEACHER)
    student_refused = await client.delete(f"/v1/classes/students/{bo['id']}", headers=TEACHER)

    for response in (class_refused, student_refused):
        body = await response.get_json()
        assert (response.status_code, body["error_code"]) == (409, "CONFLICT")
        assert body["details"]["association_count"] == 1
    assert len(await sql("SELECT * FROM class_student_association")) == 1
