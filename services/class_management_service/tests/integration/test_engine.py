"""The engine as built from the settings, against the real PostgreSQL."""

import pytest
from sqlalchemy import text

from huleedu_service_libs.engines import build_engine
from services.class_management_service.config import Settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("behind_pooler", [False, True])
async def test_the_engine_serves_repeated_statements_with_and_without_a_pooler(
    settings: Settings, behind_pooler: bool
) -> None:
    tuned = settings.model_copy(
        update={"DATABASE_BEHIND_TRANSACTION_POOLER": behind_pooler, "DATABASE_POOL_SIZE": 2}
    )
    engine = build_engine(tuned)
    try:
        for _ in range(3):  # the same statement on the same pooled connection, three times
            async with engine.connect() as connection:
                count = await connection.scalar(text("SELECT count(*) FROM courses"))
                assert count == 6  # the seeded courses
    finally:
        await engine.dispose()
