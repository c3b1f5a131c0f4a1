"""The claim walks the due index whatever the table's statistics say (no read of the backlog).

With fresh statistics on a large backlog the planner, unable to estimate the lane filter,
preferred reading the whole table and sorting it: 8x slower per batch. Counted here through the
transaction's own table statistics, not timed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from huleedu_service_libs.outbox import store
from huleedu_service_libs.outbox.claim import Lane, claim_due

pytestmark = pytest.mark.integration

BACKLOG_ROWS = 20_000

FILL = text(
    """
    INSERT INTO event_outbox
        (aggregate_type, aggregate_id, event_type, topic, event_key, event_data)
    SELECT 'order', 'order-' || n % 500, 'ping', 'outbox.plan', 'order-' || n % 500,
           json_build_object('event_id', gen_random_uuid(), 'data', repeat('x', 200))
    FROM generate_series(1, :rows) AS n
    """
)
TABLE_SCANS = (
    "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'event_outbox'"
)


async def _analysed_backlog(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(FILL, {"rows": BACKLOG_ROWS})
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE event_outbox"))


async def test_a_claim_on_an_analysed_backlog_reads_the_index_not_the_table(
    engine: AsyncEngine,
) -> None:
    await _analysed_backlog(engine)
    async with store.transaction(engine) as connection:
        claim = await claim_due(connection, 100, Lane(index=1, count=4))
        seq_scans, index_scans = await connection.fetchrow(TABLE_SCANS)
    assert claim is not None
    assert len(claim.rows) == 100
    assert seq_scans == 0
    assert index_scans > 0
