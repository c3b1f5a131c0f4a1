import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart.datastructures import FileStorage
from quart.typing import TestClientProtocol as Client

from services.class_management_service.tests import roster_files
from services.class_management_service.tests.integration.conftest import TEACHER

pytestmark = pytest.mark.integration
Sql = Callable[..., Awaitable[list[Any]]]
CSV_HEADERS = {**TEACHER, "Content-Type": "text/csv; charset=utf-8"}
ROSTER = (
    "\ufefffirst_name,last_name,email\r\n"
    "Åsa,Öberg,asa@skolan.se\r\n"
    "Grace,Hopper,grace@x.se\r\n"
    "Bad,Row,not-an-email\r\n"
    "Grace,Again,GRACE@x.se\r\n"
).encode()


async def _class_id(client: Client) -> str:
    response = await client.post(
        "/v1/classes", json={"name": "9A", "course_codes": ["SV1"]}, headers=TEACHER
    )
    return str((await response.get_json())["id"])


async def _import(client: Client, class_id: str, data: bytes) -> Any:
    url = f"/v1/classes/{class_id}/students/import"
    return await client.post(url, data=data, headers=CSV_HEADERS)


async def test_import_reports_each_row_and_a_second_import_changes_nothing(
    client: Client, sql: Sql
) -> None:
    class_id = await _class_id(client)

    first = await _import(client, class_id, ROSTER)
    state = (
        await sql("SELECT * FROM students ORDER BY email"),
        await sql("SELECT count(*) FROM event_outbox"),
    )
    second = await _import(client, class_id, ROSTER)

    body = await first.get_json()
    assert first.status_code == 200
    assert [(row["row"], row["status"], row["email"]) for row in body["rows"]] == [
        (2, "created", "asa@skolan.se"),
        (3, "created", "grace@x.se"),
        (4, "invalid", "not-an-email"),
        (5, "invalid", "grace@x.se"),
    ]
    assert body["rows"][3]["reason"] == "same email as row 3"
    assert body["summary"] == {"created": 2, "added": 0, "already_present": 0, "invalid": 2}
    again = await second.get_json()
    assert again["summary"] == {"created": 0, "added": 0, "already_present": 2, "invalid": 2}
    assert (
        await sql("SELECT * FROM students ORDER BY email"),
        await sql("SELECT count(*) FROM event_outbox"),
    ) == state
    [asa] = await sql("SELECT first_name, last_name FROM students WHERE email = 'asa@skolan.se'")
    assert tuple(asa) == ("Åsa", "Öberg")


async def test_import_as_a_multipart_file(client: Client) -> None:
    class_id = await _class_id(client)
    upload = FileStorage(stream=io.BytesIO(ROSTER), filename="roster.csv")
    response = await client.post(
        f"/v1/classes/{class_id}/students/import", files={"file": upload}, headers=TEACHER
    )
    assert (await response.get_json())["summary"]["created"] == 2


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"name,mail\nx,y\n", "text/csv", 400),
        (b"first_name,last_name,email\n", "text/csv", 400),
        (b"first_name,last_name,email\n\x81\x8d\x8f,b,c@x.se\n", "text/csv", 400),
        (b"", "text/csv", 400),
        (b'{"rows": []}', "application/json", 415),
        (b"first_name,last_name,email\n" + b"A,B,a@x.se\n" * 30_000, "text/csv", 400),
        (b"x" * 2_100_000, "text/csv", 413),
    ],
)
async def test_unreadable_imports_change_nothing(
    client: Client, sql: Sql, data: bytes, content_type: str, status: int
) -> None:
    class_id = await _class_id(client)
    response = await client.post(
        f"/v1/classes/{class_id}/students/import",
        data=data,
        headers={**TEACHER, "Content-Type": content_type},
    )
    assert response.status_code == status, await response.get_json()
    assert await sql("SELECT id FROM students") == []


async def test_the_same_file_imported_concurrently_creates_each_student_once(
    client: Client, sql: Sql
) -> None:
    class_id = await _class_id(client)
    first, second = await asyncio.gather(
        _import(client, class_id, ROSTER), _import(client, class_id, ROSTER)
    )

    summaries = [(await response.get_json())["summary"] for response in (first, second)]
    assert sorted(summary["created"] for summary in summaries) == [0, 2]
    assert sorted(summary["already_present"] for summary in summaries) == [0, 2]
    assert len(await sql("SELECT id FROM students")) == 2
    assert len(await sql("SELECT * FROM class_student_association")) == 2
    created_events = await sql("SELECT id FROM event_outbox WHERE topic LIKE '%student.created%'")
    assert len(created_events) == 2


async def _students(sql: Sql) -> list[tuple[str, str, str]]:
    rows = await sql("SELECT first_name, last_name, email FROM students ORDER BY email")
    return [tuple(row) for row in rows]


SWEDISH_STORED = sorted(
    (first, last, email) for first, last, email, *_ in roster_files.SWEDISH_STUDENTS
)


async def test_a_swedish_semicolon_windows_1252_export_is_imported(
    client: Client, sql: Sql
) -> None:
    class_id = await _class_id(client)
    response = await _import(client, class_id, roster_files.swedish_export(";", "cp1252"))
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["summary"] == {"created": 3, "added": 0, "already_present": 0, "invalid": 0}
    assert sorted(await _students(sql)) == sorted(SWEDISH_STORED)


@pytest.mark.parametrize("how", ["multipart", "octet-stream"])
async def test_an_xlsx_workbook_is_imported(client: Client, sql: Sql, how: str) -> None:
    class_id = await _class_id(client)
    workbook = roster_files.xlsx_bytes(
        [roster_files.SWEDISH_HEADER, *roster_files.SWEDISH_STUDENTS]
    )
    url = f"/v1/classes/{class_id}/students/import"
    if how == "multipart":
        upload = FileStorage(stream=io.BytesIO(workbook), filename="elever.xlsx")
        response = await client.post(url, files={"file": upload}, headers=TEACHER)
    else:
        headers = {**TEACHER, "Content-Type": "application/octet-stream"}
        response = await client.post(url, data=workbook, headers=headers)
    body = await response.get_json()
    assert response.status_code == 200, body
    assert [row["row"] for row in body["rows"]] == [2, 3, 4]
    assert sorted(await _students(sql)) == sorted(SWEDISH_STORED)


@pytest.mark.parametrize(
    ("data", "details"),
    [
        (
            roster_files.csv_bytes(
                [("Förnamn", "Efternamn", "E-post", "Email"), ("A", "B", "", "")]
            ),
            {"row": 1, "columns": [3, 4], "field": "email"},
        ),
        (
            roster_files.csv_bytes([*[("Titel",)] * 3, ("Förnamn", "E-post"), ("A", "a@x.se")]),
            {"missing": ["last_name"], "closest_header_row": 4},
        ),
        (roster_files.inflating_xlsx_bytes(30_000_000), {"max_entries": 500}),
    ],
    ids=["column-named-twice", "missing-column", "inflating-workbook"],
)
async def test_refusals_are_error_details_naming_the_row_or_column(
    client: Client, sql: Sql, data: bytes, details: dict[str, Any]
) -> None:
    class_id = await _class_id(client)
    response = await client.post(
        f"/v1/classes/{class_id}/students/import",
        data=data,
        headers={**TEACHER, "Content-Type": "application/octet-stream"},
    )
    error = await response.get_json()
    assert (response.status_code, error["error_code"]) == (400, "VALIDATION_ERROR"), error
    assert details.items() <= error["details"].items()
    assert await sql("SELECT id FROM students") == []


async def test_imports_and_their_rows_are_counted_by_outcome(client: Client) -> None:
    class_id = await _class_id(client)
    await _import(client, class_id, ROSTER)
    await _import(client, class_id, b"")  # an empty file: refused, nothing changed

    text = await (await client.get("/metrics")).get_data(as_text=True)
    assert 'class_management_roster_imports_total{outcome="imported"} 1.0' in text
    assert 'class_management_roster_imports_total{outcome="refused"} 1.0' in text
    assert 'class_management_roster_import_rows_total{status="created"} 2.0' in text
    assert 'class_management_roster_import_rows_total{status="invalid"} 2.0' in text
