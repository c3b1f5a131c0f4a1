from common_core.models.entitlements_api import (
    AuthorizationResponse,
    BulkCreditCheckRequest,
    BulkCreditCheckResponse,
    ConsumeAuthorizationRequest,
    ConsumeCreditsRequest,
    ConsumeCreditsResponse,
    CreateAuthorizationRequest,
    CreditCheckDenial,
    CreditCheckRequest,
    CreditCheckResponse,
    MetricCheckResult,
    MetricQuantity,
    RateLimitVerdict,
    ReleaseAuthorizationRequest,
)
from common_core.models.error_models import ErrorDetail
from common_core.models.file_api import EssayContentResponse

__all__ = [
    "AuthorizationResponse",
    "BulkCreditCheckRequest",
    "BulkCreditCheckResponse",
    "ConsumeAuthorizationRequest",
    "ConsumeCreditsRequest",
    "ConsumeCreditsResponse",
    "CreateAuthorizationRequest",
    "CreditCheckDenial",
    "CreditCheckRequest",
    "CreditCheckResponse",
    "ErrorDetail",
    "EssayContentResponse",
    "MetricCheckResult",
    "MetricQuantity",
    "RateLimitVerdict",
    "ReleaseAuthorizationRequest",
]
