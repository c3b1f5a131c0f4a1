"""The relay's tuning, with defaults per environment; a service may override any field."""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huleedu_service_libs.config.settings import Environment

_JITTER = random.Random()


class OutboxSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The relay is woken after each commit; polling is only the fallback.
    poll_interval_seconds: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    # Concurrent claim-publish-mark loops draining a backlog, each on its own share of the keys.
    lanes: int = Field(default=4, ge=1, le=32)
    # Failed attempts before a row is dead-lettered (kept, counted, re-drivable).
    max_attempts: int = Field(default=20, ge=1)
    backoff_base_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    # Longest wait for Kafka's acknowledgements of one batch before it counts as failed.
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    retention_hours: float = Field(default=168.0, gt=0)
    housekeeping_interval_seconds: float = Field(default=30.0, gt=0)
    cleanup_batch_size: int = Field(default=5000, ge=1)

    @model_validator(mode="after")
    def _backoff_cap_covers_base(self) -> OutboxSettings:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise ValueError("backoff_max_seconds must be at least backoff_base_seconds")
        return self


_DEFAULTS: dict[Environment, dict[str, Any]] = {
    Environment.PRODUCTION: {},
    Environment.DEVELOPMENT: {
        "poll_interval_seconds": 1.0,
        "lanes": 2,
        "max_attempts": 8,
        "backoff_max_seconds": 30.0,
        "retention_hours": 24.0,
    },
    Environment.TESTING: {
        "poll_interval_seconds": 0.2,
        "lanes": 2,
        "max_attempts": 5,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 1.0,
        "publish_timeout_seconds": 5.0,
        "retention_hours": 1.0,
        "housekeeping_interval_seconds": 5.0,
    },
}


def outbox_settings_for(environment: Environment, **overrides: Any) -> OutboxSettings:
    return OutboxSettings(**{**_DEFAULTS[environment], **overrides})


def backoff_seconds(
    failed_attempts: int, settings: OutboxSettings, rng: random.Random | None = None
) -> float:
    """Exponential in the attempts, capped, with jitter in [delay / 2, delay)."""
    exponent = min(failed_attempts - 1, 62)
    delay = min(settings.backoff_base_seconds * 2.0**exponent, settings.backoff_max_seconds)
    return delay * (0.5 + (rng or _JITTER).random() / 2)
