"""The unit of work every service subclasses: one transaction, its events, its inbox record."""

from huleedu_service_libs.unit_of_work.base import UniqueViolation, UnitOfWorkFactory
from huleedu_service_libs.unit_of_work.memory import InMemoryState, InMemoryUnitOfWork, MemoryTable
from huleedu_service_libs.unit_of_work.protocol import UnitOfWork
from huleedu_service_libs.unit_of_work.sql import SqlTransactions, SqlUnitOfWork

__all__ = [
    "InMemoryState",
    "InMemoryUnitOfWork",
    "MemoryTable",
    "SqlTransactions",
    "SqlUnitOfWork",
    "UniqueViolation",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
