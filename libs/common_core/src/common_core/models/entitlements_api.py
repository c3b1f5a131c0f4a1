"""Bodies of the entitlements service's internal API (/internal/v1/entitlements/...)."""

from enum import StrEnum
from uuid import UUID

from pydantic import Field

from common_core.domain_enums import AuthorizationStatus, CreditSubjectType
from common_core.field_types import (
    IdempotencyKey,
    MetricName,
    NonEmptyStr,
    NonNegativeInt,
    OrgId,
    PositiveInt,
    UserId,
)
from common_core.models.base import ApiModel
from common_core.timestamps import UtcDatetime


class CreditCheckDenial(StrEnum):
    INSUFFICIENT_CREDITS = "insufficient_credits"
    RATE_LIMITED = "rate_limited"
    UNKNOWN_METRIC = "unknown_metric"


class MetricQuantity(ApiModel):
    metric: MetricName
    quantity: PositiveInt


class RateLimitVerdict(ApiModel):
    allowed: bool
    limit: PositiveInt | None = Field(
        default=None, description="None when the metric is unlimited."
    )
    remaining: NonNegativeInt | None = None
    window_seconds: PositiveInt | None = None
    retry_after_seconds: NonNegativeInt | None = None


class CreditCheckRequest(ApiModel):
    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt


class CreditCheckResponse(ApiModel):
    """Advisory: nothing is reserved. Use an authorization to reserve credits."""

    allowed: bool
    required_credits: NonNegativeInt
    available_credits: NonNegativeInt
    source: CreditSubjectType | None = Field(
        default=None, description="The account that would pay; None when neither can."
    )
    denial: CreditCheckDenial | None = None
    reason: NonEmptyStr | None = None
    rate_limit: RateLimitVerdict


class BulkCreditCheckRequest(ApiModel):
    user_id: UserId
    org_id: OrgId | None = None
    requirements: list[MetricQuantity] = Field(min_length=1)


class MetricCheckResult(ApiModel):
    metric: MetricName
    quantity: PositiveInt
    required_credits: NonNegativeInt
    rate_limit: RateLimitVerdict


class BulkCreditCheckResponse(ApiModel):
    allowed: bool
    required_credits: NonNegativeInt = Field(description="Total over every requirement.")
    available_credits: NonNegativeInt
    source: CreditSubjectType | None = None
    denial: CreditCheckDenial | None = None
    reason: NonEmptyStr | None = None
    results: list[MetricCheckResult]


class ConsumeCreditsRequest(ApiModel):
    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt
    idempotency_key: IdempotencyKey
    resource_id: NonEmptyStr | None = None


class ConsumeCreditsResponse(ApiModel):
    """An insufficient balance is a 402 ErrorDetail, so a response always means charged."""

    credits_charged: NonNegativeInt
    charged_subject_type: CreditSubjectType
    charged_subject_id: NonEmptyStr
    balance_after: NonNegativeInt
    ledger_entry_id: UUID
    idempotent_replay: bool = Field(
        default=False, description="True when this key was already charged; nothing new was."
    )


class CreateAuthorizationRequest(ApiModel):
    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt
    idempotency_key: IdempotencyKey
    resource_id: NonEmptyStr | None = None
    ttl_seconds: PositiveInt | None = Field(default=None, description="None: the service default.")


class ConsumeAuthorizationRequest(ApiModel):
    quantity: PositiveInt
    idempotency_key: IdempotencyKey


class ReleaseAuthorizationRequest(ApiModel):
    reason: NonEmptyStr | None = None


class AuthorizationResponse(ApiModel):
    """The state of a hold after create, consume or release."""

    authorization_id: UUID
    status: AuthorizationStatus
    metric: MetricName
    charged_subject_type: CreditSubjectType
    charged_subject_id: NonEmptyStr
    credits_reserved: NonNegativeInt
    credits_consumed: NonNegativeInt
    credits_remaining: NonNegativeInt
    expires_at: UtcDatetime
    idempotent_replay: bool = False
