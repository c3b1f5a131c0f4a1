from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from common_core.error_enums import AnyErrorCode, http_status_for
from common_core.timestamps import UtcDatetime, utc_now


class ErrorDetail(BaseModel):
    """The one error body every service returns, and the error carried by failure events."""

    model_config = ConfigDict(frozen=True)

    error_code: AnyErrorCode
    message: str
    correlation_id: UUID
    original_correlation_id: str | None = None
    timestamp: UtcDatetime = Field(default_factory=utc_now)
    service: str
    operation: str
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def http_status(self) -> int:
        return http_status_for(self.error_code)
