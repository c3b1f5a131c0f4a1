"""Every refusal on every route that can meet it: ErrorDetail, the right status, nothing written.

"Nothing written" is checked on the whole database: every table's rows and the outbox are the same
after the refused request as before it.
"""

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import pytest
from quart.typing import TestClientProtocol as Client

from services.class_management_service.tests.integration.conftest import OTHER_TEACHER, TEACHER

pytestmark = pytest.mark.integration

Sql = Callable[..., Awaitable[list[Any]]]
TABLES = (
    "classes",
    "students",
    "class_student_association",
    "essay_student_associations",
    "event_outbox",
)


async def _state(sql: Sql) -> dict[str, list[Any]]:
    return {table: sorted(map(tuple, await sql(f"SELECT * FROM {table}"))) for table in TABLES}


async def _class(client: Client, headers: dict[str, str] = TEACHER) -> str:
    response = await client.post(
        "/v1/classes", json={"name": "9A", "course_codes": ["ENG5"]}, headers=headers
    )
    return str((await response.get_json())["id"])


async def _student(client: Client, email: str, headers: dict[str, str] = TEACHER) -> str:
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": email}
    response = await client.post("/v1/classes/students", json=body, headers=headers)
    return str((await response.get_json())["id"])


async def _refused(
    sql: Sql, request: Awaitable[Any], status: int, code: str | None = None
) -> dict[str, Any]:
    before = await _state(sql)
    response = await request
    body = await response.get_json()
    assert response.status_code == status, body
    assert body["correlation_id"]
    assert body["error_code"]
    if code is not None:  # "CODE" or "CODE:resource" (details.resource names what is missing)
        expected_code, _, resource = code.partition(":")
        assert body["error_code"] == expected_code, body
        assert not resource or body["details"]["resource"] == resource, body
    assert await _state(sql) == before
    return dict(body)


JSON_ROUTES = [
    ("post", "/v1/classes"),
    ("put", "/v1/classes/{class_id}"),
    ("post", "/v1/classes/students"),
    ("put", "/v1/classes/students/{student_id}"),
    ("post", "/v1/batches/{batch_id}/student-associations/confirm"),
]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("raw", [b"{not json", b'{"name": ', b"", b"\xff\xfe"])
async def test_malformed_json_is_a_400_everywhere(
    client: Client, sql: Sql, method: str, path: str, raw: bytes
) -> None:
    class_id, student_id = await _class(client), await _student(client, "ada@x.se")
    url = path.format(class_id=class_id, student_id=student_id, batch_id=uuid4())
    headers = {**TEACHER, "Content-Type": "application/json"}
    request = getattr(client, method)(url, data=raw, headers=headers)
    await _refused(sql, request, 400)


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@x.se", "x@huleedu.system"])
async def test_a_bad_email_is_refused_on_create_and_on_update(
    client: Client, sql: Sql, email: str
) -> None:
    student_id = await _student(client, "ada@x.se")
    body = {"first_name": "A", "last_name": "B", "email": email}
    await _refused(sql, client.post("/v1/classes/students", json=body, headers=TEACHER), 400)
    url = f"/v1/classes/students/{student_id}"
    await _refused(sql, client.put(url, json={"email": email}, headers=TEACHER), 400)


async def test_an_unknown_course_is_refused_on_update(client: Client, sql: Sql) -> None:
    class_id = await _class(client)
    url = f"/v1/classes/{class_id}"
    body = {"course_codes": ["MATH9"]}
    await _refused(
        sql, client.put(url, json=body, headers=TEACHER), 404, "RESOURCE_NOT_FOUND:course"
    )
    kept = await (await client.get(url, headers=TEACHER)).get_json()
    assert kept["course"]["code"] == "ENG5"


async def test_removing_a_student_with_foreign_ids_is_a_404(client: Client, sql: Sql) -> None:
    mine, theirs = await _class(client), await _class(client, OTHER_TEACHER)
    my_student = await _student(client, "ada@x.se")
    their_student = await _student(client, "bob@x.se", OTHER_TEACHER)
    await client.post(f"/v1/classes/{mine}/students/{my_student}", headers=TEACHER)
    await client.post(f"/v1/classes/{theirs}/students/{their_student}", headers=OTHER_TEACHER)
    attempts = [
        (mine, my_student, OTHER_TEACHER, "RESOURCE_NOT_FOUND:class"),
        (theirs, their_student, TEACHER, "RESOURCE_NOT_FOUND:class"),
        (mine, their_student, TEACHER, "RESOURCE_NOT_FOUND:student"),
        (mine, uuid4(), TEACHER, "RESOURCE_NOT_FOUND:student"),
    ]
    for class_id, student_id, headers, code in attempts:
        url = f"/v1/classes/{class_id}/students/{student_id}"
        await _refused(sql, client.delete(url, headers=headers), 404, code)
    roster = await (await client.get(f"/v1/classes/{mine}/students", headers=TEACHER)).get_json()
    assert [student["id"] for student in roster["items"]] == [my_student]
