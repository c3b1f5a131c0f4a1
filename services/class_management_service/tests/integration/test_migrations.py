from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.courses import CourseCode
from huleedu_service_libs.testing.migrations import MigrationChainTests
from services.class_management_service.models_db import schema_metadata

SERVICE_DIR = Path(__file__).parents[2]


class TestMigrations(MigrationChainTests):
    service_dir = SERVICE_DIR
    metadata = schema_metadata()
    tables = frozenset(
        {
            "courses",
            "classes",
            "students",
            "class_student_association",
            "essay_student_associations",
            "processed_events",
            "event_outbox",
        }
    )


@pytest.mark.integration
async def test_courses_are_seeded_by_the_migration(
    migrated_database: Callable[[Path], Awaitable[str]],
) -> None:
    engine = create_async_engine(await migrated_database(SERVICE_DIR))
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT code, name, language, level FROM courses")
            )
            rows = {(row.code, row.name, row.language, row.level) for row in result}
    finally:
        await engine.dispose()
    expected = {
        (code.value, code.display_name, code.language.value, code.level) for code in CourseCode
    }
    assert rows == expected
