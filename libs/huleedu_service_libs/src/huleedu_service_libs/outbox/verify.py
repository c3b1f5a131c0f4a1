"""Checks a live database's event_outbox against the shared model (seed 000's index verifier).

    python -m huleedu_service_libs.outbox.verify --database-url postgresql+asyncpg://...

Exit status 0 when the table, its columns and its named indexes (with their partial predicates)
match the model; 1 with one line per missing, mismatched or unexpected item; 2 when the
database cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Index, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from huleedu_service_libs.outbox.model import TABLE_NAME, OutboxBase

_COLUMNS_SQL = text(
    """
    SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           a.attidentity <> ''
    FROM pg_attribute AS a
    JOIN pg_class AS c ON c.oid = a.attrelid
    WHERE c.oid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped
    """
)
_INDEXES_SQL = text(
    """
    SELECT i.relname,
           ARRAY(SELECT a.attname
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                 JOIN pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                 ORDER BY k.position),
           pg_get_expr(x.indpred, x.indrelid)
    FROM pg_index AS x
    JOIN pg_class AS i ON i.oid = x.indexrelid
    WHERE x.indrelid = to_regclass(:table) AND NOT x.indisprimary
    """
)


_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy


@dataclass(frozen=True)
class ColumnShape:
    type: str
    nullable: bool
    identity: bool

    def __str__(self) -> str:
        identity = " identity" if self.identity else ""
        return f"{self.type} {'NULL' if self.nullable else 'NOT NULL'}{identity}"


@dataclass(frozen=True)
class IndexShape:
    columns: tuple[str, ...]
    predicate: str | None


@dataclass(frozen=True)
class TableShape:
    columns: dict[str, ColumnShape]
    indexes: dict[str, IndexShape]


def expected_shape() -> TableShape:
    table = OutboxBase.metadata.tables[TABLE_NAME]
    columns = {
        column.name: ColumnShape(
            type=_normal_type(column.type.compile(dialect=_POSTGRESQL)),
            nullable=bool(column.nullable),
            identity=column.identity is not None,
        )
        for column in table.columns
    }
    return TableShape(columns, {str(index.name): _index_shape(index) for index in table.indexes})


def _index_shape(index: Index) -> IndexShape:
    predicate = index.dialect_options["postgresql"]["where"]
    return IndexShape(
        columns=tuple(column.name for column in index.columns),
        predicate=None if predicate is None else _normal_predicate(str(predicate)),
    )


def _normal_type(sql_type: str) -> str:
    return sql_type.lower().replace("varchar", "character varying")


def _normal_predicate(predicate: str) -> str:
    return re.sub(r"\s+", " ", predicate.replace("(", "").replace(")", "")).strip().lower()


def differences(expected: TableShape, actual: TableShape | None) -> list[str]:
    if actual is None:
        return [f"table {TABLE_NAME}: missing"]
    return [
        *_column_differences(expected.columns, actual.columns),
        *_index_differences(expected.indexes, actual.indexes),
    ]


def _column_differences(
    expected: dict[str, ColumnShape], actual: dict[str, ColumnShape]
) -> list[str]:
    problems = [f"column {name}: missing" for name in expected if name not in actual]
    problems += [f"column {name}: unexpected" for name in actual if name not in expected]
    for name in expected.keys() & actual.keys():
        if expected[name] != actual[name]:
            problems.append(f"column {name}: is {actual[name]}, expected {expected[name]}")
    return sorted(problems)


def _index_differences(expected: dict[str, IndexShape], actual: dict[str, IndexShape]) -> list[str]:
    problems = [f"index {name}: missing" for name in expected if name not in actual]
    problems += [f"index {name}: unexpected" for name in actual if name not in expected]
    for name in expected.keys() & actual.keys():
        want, have = expected[name], actual[name]
        if want.columns != have.columns:
            problems.append(f"index {name}: on {have.columns}, expected {want.columns}")
        if want.predicate != have.predicate:
            problems.append(
                f"index {name}: predicate is {have.predicate or '(none)'!r}, "
                f"expected {want.predicate or '(none)'!r}"
            )
    return sorted(problems)


async def live_shape(connection: AsyncConnection) -> TableShape | None:
    column_rows = (await connection.execute(_COLUMNS_SQL, {"table": TABLE_NAME})).all()
    if not column_rows:
        return None
    index_rows = (await connection.execute(_INDEXES_SQL, {"table": TABLE_NAME})).all()
    columns = {
        name: ColumnShape(_normal_type(sql_type), nullable, identity)
        for name, sql_type, nullable, identity in column_rows
    }
    indexes = {
        name: IndexShape(tuple(names), None if where is None else _normal_predicate(where))
        for name, names, where in index_rows
    }
    return TableShape(columns, indexes)


async def verify_outbox_schema(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return differences(expected_shape(), await live_shape(connection))
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Verify {TABLE_NAME} against the shared model.")
    parser.add_argument("--database-url", required=True)
    arguments = parser.parse_args(argv)
    try:
        problems = asyncio.run(verify_outbox_schema(arguments.database_url))
    except (OSError, DBAPIError) as error:
        print(f"cannot check {TABLE_NAME}: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    print(f"{TABLE_NAME}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
