"""asyncpg underneath SQLAlchemy, on a real PostgreSQL: compiled statements, transactions seen
through a session, and connections dropped by the server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import asyncpg
import pytest
from sqlalchemy import Column, MetaData, String, Table, bindparam, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from huleedu_service_libs.database import (
    AsyncpgStatement,
    DatabaseConnectionLost,
    asyncpg_connection,
    driver_of,
    fetch_one,
)

pytestmark = pytest.mark.integration

metadata = MetaData()
ITEMS = Table(
    "items",
    metadata,
    Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
    Column("owner", String(50), nullable=False),
    Column("label", String(50), nullable=False),
)
OWNED_ITEM = AsyncpgStatement.of(
    select(ITEMS.c.label, func.upper(ITEMS.c.owner).label("shout")).where(
        ITEMS.c.owner == bindparam("owner"),
        ITEMS.c.id == bindparam("item_id"),
        func.length(ITEMS.c.label) > 0,
    )
)


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    database = create_async_engine(fresh_database_url, pool_size=2)
    async with database.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def _insert(engine: AsyncEngine, owner: str, label: str) -> UUID:
    item_id = uuid4()
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert().values(id=item_id, owner=owner, label=label))
    return item_id


def test_a_compiled_statement_takes_parameters_by_name_and_keeps_its_literals() -> None:
    *names, literal = OWNED_ITEM.parameter_names
    assert names == ["owner", "item_id"]
    assert "$1" in OWNED_ITEM.sql
    assert "$3" in OWNED_ITEM.sql
    assert OWNED_ITEM.literals == {literal: 0}
    assert OWNED_ITEM.arguments({"item_id": "b", "owner": "a"}) == ["a", "b", 0]


async def test_fetch_one_on_a_plain_connection_finds_the_row_or_none(engine: AsyncEngine) -> None:
    item_id = await _insert(engine, "ada", "essay")
    async with engine.connect() as connection:
        found = await fetch_one(connection, OWNED_ITEM, {"owner": "ada", "item_id": item_id})
        foreign = await fetch_one(connection, OWNED_ITEM, {"owner": "bob", "item_id": item_id})
    assert found is not None
    assert (found["label"], found["shout"]) == ("essay", "ADA")
    assert foreign is None


async def test_fetch_one_in_a_session_sees_its_uncommitted_writes(engine: AsyncEngine) -> None:
    item_id = uuid4()
    async with async_sessionmaker(engine)() as session:
        await session.execute(ITEMS.insert().values(id=item_id, owner="ada", label="draft"))
        inside = await fetch_one(session, OWNED_ITEM, {"owner": "ada", "item_id": item_id})
        await session.rollback()
    async with engine.connect() as connection:
        after = await fetch_one(connection, OWNED_ITEM, {"owner": "ada", "item_id": item_id})
    assert inside is not None
    assert inside["label"] == "draft"
    assert after is None


async def test_a_statement_sent_first_in_a_session_is_inside_its_transaction(
    engine: AsyncEngine,
) -> None:
    insert = AsyncpgStatement.of(
        ITEMS.insert().values(id=bindparam("id"), owner=bindparam("owner"), label="draft")
    )
    item_id = uuid4()
    async with async_sessionmaker(engine)() as session:
        await fetch_one(session, insert, {"id": item_id, "owner": "ada"})
        assert (await driver_of(session)).is_in_transaction()
        await session.rollback()
    async with engine.connect() as connection:
        after = await fetch_one(connection, OWNED_ITEM, {"owner": "ada", "item_id": item_id})
    assert after is None


async def test_asyncpg_connection_autocommits_each_statement(engine: AsyncEngine) -> None:
    async with asyncpg_connection(engine) as connection:
        assert not connection.is_in_transaction()
        await connection.execute(
            "INSERT INTO items (id, owner, label) VALUES ($1, 'ada', 'kept')", uuid4()
        )
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM items"))).scalar_one()
    assert count == 1


async def test_a_connection_the_server_dropped_is_never_handed_out_again(
    fresh_database_url: str,
) -> None:
    # One pooled connection, so the next checkout is the one the server dropped.
    engine = create_async_engine(fresh_database_url, pool_size=1, max_overflow=0)
    try:
        async with asyncpg_connection(engine) as connection:
            victim = connection.get_server_pid()
        admin = await asyncpg.connect(fresh_database_url.replace("+asyncpg", ""))
        await admin.execute("SELECT pg_terminate_backend($1, 5000)", victim)
        await admin.close()
        with pytest.raises(DatabaseConnectionLost) as lost:
            await _select_one_on_backend(engine, victim)
        assert isinstance(lost.value, OSError)  # what services answer with a 503
        async with asyncpg_connection(engine) as connection:
            assert connection.get_server_pid() != victim
            assert await connection.fetchval("SELECT 1") == 1
    finally:
        await engine.dispose()


async def _select_one_on_backend(engine: AsyncEngine, pid: int) -> None:
    async with asyncpg_connection(engine) as connection:
        assert connection.get_server_pid() == pid
        await connection.execute("SELECT 1")
