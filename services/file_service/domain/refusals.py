"""Why a file is refused, in domain terms; the handlers turn a refusal into an ErrorDetail."""

from __future__ import annotations

from typing import Any

from common_core.error_enums import AnyErrorCode


class Refusal(Exception):
    def __init__(self, code: AnyErrorCode, message: str, **details: Any) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.details = details

    def with_details(self, **details: Any) -> Refusal:
        return Refusal(self.code, self.message, **{**self.details, **details})
