"""Rows of the in-memory tables: each row's column values by primary key, and the session a
transaction reads them through, which hands out the service's ORM objects (remembered like a
session's identity map) and writes their changes back before every read and at commit."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import inspect

from huleedu_service_libs.unit_of_work import MemoryTable
from services.cj_assessment_service.models_db import Base

TERMINAL = ("completed", "failed", "cancelled")
Key = tuple[Any, ...]
Values = dict[str, Any]
RowT = TypeVar("RowT", bound=Base)


class RowTable(MemoryTable[Key, Values]):
    """Column values by primary key. The values are replaced, never changed in place, so a
    transaction's copy of the table shares them instead of copying every row."""

    def __init__(
        self, model: type[Base], unique: Mapping[str, Callable[[Values], Hashable]] | None = None
    ) -> None:
        super().__init__(unique)
        self.model = model

    def __deepcopy__(self, memo: dict[int, Any]) -> RowTable:
        table = RowTable(self.model, self.unique)
        table.rows = dict(self.rows)
        return table


def _columns(model: type[Base]) -> list[str]:
    return [column.key for column in inspect(model).column_attrs]


def _key_of(model: type[Base], values: Values) -> Key:
    return tuple(values[str(column.key)] for column in inspect(model).primary_key)


def _copied(value: Any) -> Any:
    # JSON columns hold the only mutable values: copied, so no object shares them with a table.
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _values_of(row: Base) -> Values:
    return {name: _copied(getattr(row, name)) for name in _columns(type(row))}


def row_of(model: type[RowT], values: Values) -> RowT:
    return model(**{name: _copied(value) for name, value in values.items()})


class MemorySession:
    """One transaction's view of the tables and the rows it handed out (its identity map)."""

    def __init__(self, tables: dict[str, Any], loaded: dict[tuple[str, Key], Base]) -> None:
        self.tables = tables
        self.loaded = loaded

    def add(self, row: Base) -> None:
        table = self._table(type(row))
        values = _values_of(row)
        key = _key_of(type(row), values)
        table.insert(key, values)
        self.loaded[(table.model.__tablename__, key)] = row

    def insert_or_ignore(self, row: Base) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: the row's values, not the object, are stored."""
        self.flush()
        table, values = self._table(type(row)), _values_of(row)
        key = _key_of(type(row), values)
        if table.get(key) is not None:
            return False
        table.insert(key, values)
        return True

    def get(self, model: type[RowT], *key: Any) -> RowT | None:
        self.flush()
        values = self._table(model).get(key)
        return None if values is None else self._load(model, key, values)

    def select(self, model: type[RowT], where: Callable[[Values], bool]) -> list[RowT]:
        self.flush()
        rows = self._table(model).rows.items()
        return [self._load(model, key, values) for key, values in rows if where(values)]

    def flush(self) -> None:
        for (name, key), row in self.loaded.items():
            values = _values_of(row)
            table: RowTable = self.tables[name]
            if table.get(key) != values:
                table.put(key, values)

    def _load(self, model: type[RowT], key: Key, values: Values) -> RowT:
        known = self.loaded.get((model.__tablename__, key))
        if isinstance(known, model):
            return known
        row = row_of(model, values)
        self.loaded[(model.__tablename__, key)] = row
        return row

    def _table(self, model: type[Base]) -> RowTable:
        table: RowTable = self.tables[model.__tablename__]
        return table
