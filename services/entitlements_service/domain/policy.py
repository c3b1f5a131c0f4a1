"""The credit policy: what each metric costs, how often it may be used, and the signup bonuses."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the dev group
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from common_core.domain_enums import CreditSubjectType
from common_core.error_enums import ErrorCode
from common_core.field_types import MetricName
from huleedu_service_libs.error_handling import DomainError

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# Bounds that keep every cost (quantity x unit cost) well inside a 64-bit balance.
MAX_QUANTITY = 1_000_000
MAX_UNIT_COST = 1_000_000


class PolicyError(DomainError, ValueError):
    """The policy file cannot be used; the message names the bad entry."""

    code = ErrorCode.VALIDATION_ERROR


class UnlistedMetrics(StrEnum):
    REFUSE = "refuse"
    FREE = "free"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RateLimit(_Strict):
    count: Annotated[int, Field(gt=0)]
    per: Annotated[str, Field(pattern="^(minute|hour|day)$")]

    @property
    def window_seconds(self) -> int:
        return WINDOW_SECONDS[self.per]


class MetricPolicy(_Strict):
    cost_per_unit: Annotated[int, Field(ge=0, le=MAX_UNIT_COST)] = 0
    free: bool = False
    rate_limits: list[RateLimit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _priced_unless_free(self) -> MetricPolicy:
        if self.free and self.cost_per_unit:
            raise ValueError("a free metric cannot have a cost_per_unit")
        if not self.free and self.cost_per_unit == 0:
            raise ValueError("cost_per_unit must be > 0 (or mark the metric free: true)")
        return self


class SignupBonus(_Strict):
    user: Annotated[int, Field(ge=0)] = 0
    org: Annotated[int, Field(ge=0)] = 0

    def for_subject(self, subject_type: CreditSubjectType) -> int:
        return self.user if subject_type is CreditSubjectType.USER else self.org


class CreditPolicy(_Strict):
    version: Annotated[str, Field(min_length=1, max_length=64)]
    unlisted_metrics: UnlistedMetrics = UnlistedMetrics.REFUSE
    metrics: dict[MetricName, MetricPolicy]
    signup_bonus: SignupBonus = SignupBonus()

    def metric(self, name: str) -> MetricPolicy | None:
        """None when refused; an unlisted metric is free only if the policy says so."""
        listed = self.metrics.get(name)
        if listed is not None or self.unlisted_metrics is UnlistedMetrics.REFUSE:
            return listed
        return MetricPolicy(free=True)


def parse_policy(raw: Any, source: str) -> CreditPolicy:
    try:
        return CreditPolicy.model_validate(raw)
    except ValidationError as error:
        raise PolicyError(f"invalid credit policy {source}:\n{_describe(error)}") from None


def load_policy(path: Path) -> CreditPolicy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"cannot read credit policy {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise PolicyError(f"credit policy {path} is not valid YAML: {error}") from None
    return parse_policy(raw, str(path))


def _describe(error: ValidationError) -> str:
    return "\n".join(
        f"  {'.'.join(str(part) for part in issue['loc']) or '<root>'}: {issue['msg']}"
        for issue in error.errors(include_input=False, include_url=False)
    )
