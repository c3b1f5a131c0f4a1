"""Core tables of the ORM models: repositories read rows into the domain's immutable values."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table

# Writes run in an ORM session (the outbox writer needs one); reads may run on a plain connection.
from huleedu_service_libs.database import Executor as Executor
from services.class_management_service import models_db as db


def table_of(model: type[db.Base]) -> Table:
    return cast(Table, model.__table__)


COURSES = table_of(db.Course)
CLASSES = table_of(db.UserClass)
STUDENTS = table_of(db.Student)
MEMBERSHIPS = table_of(db.ClassStudentAssociation)
ASSOCIATIONS = table_of(db.EssayStudentAssociation)


def as_row(value: Any) -> dict[str, Any]:
    """The column values of a slotted domain dataclass."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
