from uuid import UUID

from pydantic import Field

from common_core.domain_enums import CreditMovementReason, CreditSubjectType
from common_core.events.base import EventPayload
from common_core.field_types import (
    IdempotencyKey,
    MetricName,
    NonEmptyStr,
    NonNegativeInt,
    OrgId,
    PositiveInt,
    UserId,
)
from common_core.timestamps import UtcDatetime


class ResourceConsumptionV1(EventPayload):
    """Work a service has done; entitlements charges it once per idempotency key."""

    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt
    idempotency_key: IdempotencyKey
    resource_id: NonEmptyStr | None = Field(
        default=None, description="What the work was for, e.g. the CJ assessment id."
    )
    authorization_id: UUID | None = Field(
        default=None, description="Charge against this hold instead of the free balance."
    )
    consumed_at: UtcDatetime


class CreditBalanceChangedV1(EventPayload):
    subject_type: CreditSubjectType
    subject_id: NonEmptyStr
    delta: int
    balance_after: NonNegativeInt
    available_after: NonNegativeInt = Field(description="Balance minus active holds.")
    reason: CreditMovementReason
    ledger_entry_id: UUID
    idempotency_key: IdempotencyKey | None = None


class UsageRecordedV1(EventPayload):
    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt
    credits_charged: NonNegativeInt
    charged_subject_type: CreditSubjectType
    charged_subject_id: NonEmptyStr
    idempotency_key: IdempotencyKey
    ledger_entry_id: UUID
    authorization_id: UUID | None = None
    resource_id: NonEmptyStr | None = None


class UsageAuthorizedV1(EventPayload):
    """A hold was placed: credits reserved for a job before it starts."""

    authorization_id: UUID
    user_id: UserId
    org_id: OrgId | None = None
    metric: MetricName
    quantity: PositiveInt
    credits_reserved: PositiveInt
    charged_subject_type: CreditSubjectType
    charged_subject_id: NonEmptyStr
    expires_at: UtcDatetime
    resource_id: NonEmptyStr | None = None


class RateLimitExceededV1(EventPayload):
    subject_type: CreditSubjectType
    subject_id: NonEmptyStr
    metric: MetricName
    limit: PositiveInt
    window_seconds: PositiveInt
    current_count: NonNegativeInt
    retry_after_seconds: NonNegativeInt
