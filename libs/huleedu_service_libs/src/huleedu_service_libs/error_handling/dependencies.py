"""Which dependency an exception says is down, if any: the difference between a 503 and a bug.

A failure counts only when it is about reaching the dependency (refused, reset, timed out while
connecting, pool exhausted, connection lost under a statement); a failure the dependency reported
about the request itself (a constraint, bad SQL, a wrong Redis command) stays a bug.
"""

from __future__ import annotations

import traceback

import asyncpg
import redis.exceptions
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from huleedu_service_libs.database import DatabaseConnectionLost

_DATABASE = "The database"
_REDIS = "Redis"
_KAFKA = "Kafka"
_SOME_DEPENDENCY = "A dependency"

# Server-side errors that mean "cannot serve connections now", not "your statement is wrong".
_ASYNCPG_CONNECTION_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_REDIS_CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_KAFKA_CONNECTION_ERRORS = (KafkaConnectionError, KafkaTimeoutError)
# Where an OSError was raised tells whose connection it was.
_DEPENDENCY_OF_PACKAGE = {
    "asyncpg": _DATABASE,
    "sqlalchemy": _DATABASE,
    "redis": _REDIS,
    "aiokafka": _KAFKA,
}


def unavailable_dependency(error: BaseException) -> str | None:
    """The name of the dependency `error` says is unreachable ("The database", "Redis", "Kafka",
    "A dependency"), or None when the error is not about reaching a dependency."""
    if isinstance(error, PoolTimeoutError | DatabaseConnectionLost):
        return _DATABASE
    if isinstance(error, DBAPIError):
        return _DATABASE if _connection_lost(error) else None
    if isinstance(error, _ASYNCPG_CONNECTION_ERRORS):
        return _DATABASE
    if isinstance(error, _REDIS_CONNECTION_ERRORS):
        return _REDIS
    if isinstance(error, _KAFKA_CONNECTION_ERRORS):
        return _KAFKA
    if isinstance(error, OSError):
        return _dependency_raising(error)
    return None


def unavailable_message(dependency: str) -> str:
    return f"{dependency} is unavailable"


def _connection_lost(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    return any(
        isinstance(cause, (*_ASYNCPG_CONNECTION_ERRORS, ConnectionError))
        for cause in _cause_chain(error.orig)
    )


def _cause_chain(error: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__
    return chain


def _dependency_raising(error: OSError) -> str | None:
    """The innermost dependency client in the traceback; a connection error raised elsewhere is
    "A dependency"; any other OSError (a missing file, a permission) is a bug."""
    packages = [
        frame.f_globals.get("__name__", "").partition(".")[0]
        for frame, _ in traceback.walk_tb(error.__traceback__)
    ]
    named = [_DEPENDENCY_OF_PACKAGE[p] for p in packages if p in _DEPENDENCY_OF_PACKAGE]
    if named:
        return named[-1]
    return _SOME_DEPENDENCY if isinstance(error, ConnectionError) else None
