"""asyncpg underneath SQLAlchemy, for the few hot statements where SQLAlchemy's cost shows.

On these machines a SQLAlchemy Core execute of class management's class read cost 75-95 µs more
CPU than the same statement sent by asyncpg on the same pooled connection (greenlet switches,
result processing), about a tenth of the whole HTTP read; a statement built per call costs far
more (expression construction and cache keys were ~30 % of entitlements' CPU per charge).
The connection still comes from the engine's pool, so there is one pool, one configuration and
one place where connections are invalidated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

Executor = AsyncSession | AsyncConnection


@dataclass(frozen=True)
class AsyncpgStatement:
    """A SQLAlchemy statement compiled once into asyncpg's SQL and positional parameters.

    Parameters are given by their `bindparam` names; literals in the statement (`x >= 0`) keep
    the values they were compiled with."""

    sql: str
    parameter_names: tuple[str, ...]
    literals: Mapping[str, Any]

    @classmethod
    def of(cls, statement: ClauseElement) -> AsyncpgStatement:
        compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a SQL statement: {statement!r}")
        names = tuple(compiled.positiontup or ())
        binds = {name: compiled.binds[name] for name in names}
        literals = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        return cls(compiled.string, names, literals)

    def arguments(self, values: Mapping[str, Any]) -> Sequence[Any]:
        return [
            values[name] if name in values else self.literals[name] for name in self.parameter_names
        ]


class DatabaseConnectionLost(ConnectionError):
    """The connection closed under a statement (PostgreSQL restarted, the backend was
    terminated): an OSError, which services answer with a 503 the caller may retry."""


@asynccontextmanager
async def asyncpg_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A connection from the engine's pool, used through asyncpg: each statement autocommits
    unless the caller opens a transaction on it. A connection found closed after an error is
    dropped from the pool (never handed out again) and the error raised as
    `DatabaseConnectionLost`."""
    async with engine.connect() as connection:
        driver = await _driver(connection)
        try:
            yield driver
        except Exception as error:
            if not driver.is_closed():
                raise
            await connection.invalidate()
            raise DatabaseConnectionLost(f"database connection lost: {error}") from error
        except BaseException:
            if driver.is_closed():
                await connection.invalidate()
            raise


async def driver_of(executor: Executor) -> asyncpg.Connection:
    """The asyncpg connection under a session or connection, inside its transaction if it has
    one (a session begins one here, as its own first statement would)."""
    connection = await executor.connection() if isinstance(executor, AsyncSession) else executor
    if connection.in_transaction():
        await _begin_in_driver(connection)
    return await _driver(connection)


async def _begin_in_driver(connection: AsyncConnection) -> None:
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it executes
    # itself; a statement sent past it before that would run, and commit, on its own.
    adapted: Any = (await connection.get_raw_connection()).dbapi_connection
    if adapted._transaction is None and adapted.isolation_level != "autocommit":
        await adapted._start_transaction()


async def fetch_one(
    executor: Executor, statement: AsyncpgStatement, values: Mapping[str, Any]
) -> asyncpg.Record | None:
    driver = await driver_of(executor)
    record: asyncpg.Record | None = await driver.fetchrow(
        statement.sql, *statement.arguments(values)
    )
    return record


async def _driver(connection: AsyncConnection) -> asyncpg.Connection:
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, asyncpg.Connection):
        raise RuntimeError("the engine's connections are not asyncpg connections")
    return driver
