"""What can go wrong in the domain; the API maps each to an ErrorDetail with its status."""

from __future__ import annotations

from typing import Any


class EntitlementsError(Exception):
    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class UnknownMetricError(EntitlementsError):
    def __init__(self, metric: str) -> None:
        super().__init__(f"metric {metric!r} is not in the credit policy", metric=metric)


class InsufficientCreditsError(EntitlementsError):
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
    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            "this idempotency key was already used with a different request",
            idempotency_key=idempotency_key,
        )


class AuthorizationNotFoundError(EntitlementsError):
    def __init__(self, authorization_id: object) -> None:
        super().__init__("authorization not found", authorization_id=str(authorization_id))


class AuthorizationClosedError(EntitlementsError):
    """The hold is expired, released or used up: nothing more can be charged to it."""

    def __init__(self, authorization_id: object, status: str) -> None:
        super().__init__(
            f"authorization is {status}", authorization_id=str(authorization_id), status=status
        )


class RateLimitedError(EntitlementsError):
    def __init__(self, metric: str, limit: int, window_seconds: int, retry_after: int) -> None:
        super().__init__(
            f"rate limit of {limit} {metric} per {window_seconds} s exceeded",
            metric=metric,
            limit=limit,
            window_seconds=window_seconds,
            retry_after_seconds=retry_after,
        )


class InvalidRequestError(EntitlementsError):
    pass


class AccountNotFoundError(EntitlementsError):
    def __init__(self, subject_key: str) -> None:
        super().__init__("credit account not found", subject=subject_key)
