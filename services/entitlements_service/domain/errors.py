"""What can go wrong in the domain, each with its ErrorCode (the library's handlers build the
ErrorDetail and its status)."""

from __future__ import annotations

from typing import Any

from common_core.error_enums import ErrorCode
from huleedu_service_libs.error_handling import DomainError


class EntitlementsError(DomainError):
    """Every refusal of this service: the API counts these by code."""


class UnknownMetricError(EntitlementsError):
    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, metric: str) -> None:
        super().__init__(f"metric {metric!r} is not in the credit policy", metric=metric)


class InsufficientCreditsError(EntitlementsError):
    code = ErrorCode.INSUFFICIENT_CREDITS

    def __init__(self, required: int, available: int, **details: Any) -> None:
        super().__init__(
            f"{required} credits required, {available} available",
            required=required,
            available=available,
            **details,
        )
        self.required = required
        self.available = available


class IdempotencyConflictError(EntitlementsError):
    code = ErrorCode.CONFLICT

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            "this idempotency key was already used with a different request",
            idempotency_key=idempotency_key,
        )


class AuthorizationNotFoundError(EntitlementsError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, authorization_id: object) -> None:
        super().__init__("authorization not found", authorization_id=str(authorization_id))


class AuthorizationClosedError(EntitlementsError):
    """The hold is expired, released or used up: nothing more can be charged to it."""

    code = ErrorCode.CONFLICT

    def __init__(self, authorization_id: object, status: str) -> None:
        super().__init__(
            f"authorization is {status}", authorization_id=str(authorization_id), status=status
        )


class RateLimitedError(EntitlementsError):
    code = ErrorCode.RATE_LIMIT

    def __init__(self, metric: str, limit: int, window_seconds: int, retry_after: int) -> None:
        super().__init__(
            f"rate limit of {limit} {metric} per {window_seconds} s exceeded",
            metric=metric,
            limit=limit,
            window_seconds=window_seconds,
            retry_after_seconds=retry_after,
        )


class InvalidRequestError(EntitlementsError):
    code = ErrorCode.VALIDATION_ERROR


class AccountNotFoundError(EntitlementsError):
    code = ErrorCode.RESOURCE_NOT_FOUND

    def __init__(self, subject_key: str) -> None:
        super().__init__("credit account not found", subject=subject_key)
