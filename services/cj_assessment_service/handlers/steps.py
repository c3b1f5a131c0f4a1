"""What a runner step tells the loop, and the policy the steps share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from huleedu_service_libs.clock import Clock
from services.cj_assessment_service.models_db import Assessment


class Step(StrEnum):
    CONTINUE = "continue"  # more work is due now
    WAIT = "wait"  # a dependency is down; next_attempt_at says when to try again
    DONE = "done"  # terminal and settled
    LOST = "lost"  # gone, or another worker holds it


@dataclass(frozen=True)
class RunnerPolicy:
    comparison_max_attempts: int = 2
    max_failed_share: float = 0.5
    retry_delay_seconds: float = 5.0
    authorization_wait_seconds: float = 60.0
    lease_seconds: float = 60.0


def defer(assessment: Assessment, clock: Clock, seconds: float) -> None:
    assessment.next_attempt_at = clock.now() + timedelta(seconds=seconds)


def hold_key(assessment: Assessment) -> str:
    return f"cj:{assessment.id}:hold"


def round_key(assessment: Assessment, round_no: int) -> str:
    return f"cj:{assessment.id}:round:{round_no}"
