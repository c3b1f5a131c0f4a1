"""Why a file is refused, in domain terms; the handlers turn a refusal into an ErrorDetail."""

from __future__ import annotations

from typing import Any

from common_core.error_enums import AnyErrorCode
from huleedu_service_libs.error_handling import DomainError


class Refusal(DomainError):
    """A DomainError whose code is chosen where it is raised (one class for every refusal)."""

    def __init__(self, code: AnyErrorCode, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def with_details(self, **details: Any) -> Refusal:
        return Refusal(self.code, self.message, **{**self.details, **details})
