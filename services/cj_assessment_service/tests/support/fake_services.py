"""Fake entitlements and file services speaking the real internal APIs (common_core models)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from quart import Quart, Response, request

from common_core.domain_enums import AuthorizationStatus, ContentType, CreditSubjectType
from common_core.error_enums import ErrorCode
from common_core.models.entitlements_api import (
    AuthorizationResponse,
    ConsumeAuthorizationRequest,
    CreateAuthorizationRequest,
)
from common_core.models.error_models import ErrorDetail
from common_core.models.file_api import EssayContentResponse

INTERNAL_KEY = "internal-key-for-the-tests"


def _error(status: int, code: ErrorCode, message: str) -> Response:
    detail = ErrorDetail(
        error_code=code, message=message, correlation_id=uuid4(), service="fake", operation="x"
    )
    return Response(detail.model_dump_json(), status=status, content_type="application/json")


def _authorized() -> bool:
    return request.headers.get("X-Internal-API-Key") == INTERNAL_KEY


@dataclass
class FakeHold:
    request: CreateAuthorizationRequest
    authorization_id: UUID = field(default_factory=uuid4)
    consumed: dict[str, int] = field(default_factory=dict)
    released: bool = False


class FakeEntitlements:
    def __init__(self, balance: int = 100_000) -> None:
        self.balance = balance
        self.holds: dict[str, FakeHold] = {}
        self.down = False
        self.app = Quart("fake_entitlements")
        base = "/internal/v1/entitlements/authorizations"
        self.app.add_url_rule(base, view_func=self._create, methods=["POST"])
        self.app.add_url_rule(
            f"{base}/<hold_id>/consume", view_func=self._consume, methods=["POST"]
        )
        self.app.add_url_rule(
            f"{base}/<hold_id>/release", view_func=self._release, methods=["POST"]
        )

    @property
    def charged(self) -> int:
        return sum(sum(h.consumed.values()) for h in self.holds.values())

    def only_hold(self) -> FakeHold:
        (hold,) = self.holds.values()
        return hold

    async def _create(self) -> Response:
        if refusal := self._refusal():
            return refusal
        body = CreateAuthorizationRequest.model_validate(await request.get_json())
        if body.idempotency_key in self.holds:
            return self._answer(self.holds[body.idempotency_key], 200)
        if body.quantity > self.balance:
            return _error(402, ErrorCode.INSUFFICIENT_CREDITS, "Insufficient credits")
        self.holds[body.idempotency_key] = FakeHold(body)
        return self._answer(self.holds[body.idempotency_key], 201)

    async def _consume(self, hold_id: str) -> Response:
        if refusal := self._refusal():
            return refusal
        hold = self._hold(hold_id)
        if hold is None:
            return _error(404, ErrorCode.RESOURCE_NOT_FOUND, "no such hold")
        body = ConsumeAuthorizationRequest.model_validate(await request.get_json())
        if hold.consumed.setdefault(body.idempotency_key, body.quantity) != body.quantity:
            return _error(409, ErrorCode.CONFLICT, "key reused")
        return self._answer(hold, 200)

    async def _release(self, hold_id: str) -> Response:
        if refusal := self._refusal():
            return refusal
        hold = self._hold(hold_id)
        if hold is None:
            return _error(404, ErrorCode.RESOURCE_NOT_FOUND, "no such hold")
        hold.released = True
        return self._answer(hold, 200)

    def _refusal(self) -> Response | None:
        if not _authorized():
            return _error(401, ErrorCode.AUTHENTICATION_ERROR, "missing internal key")
        if self.down:
            return Response("down", status=503)
        return None

    def _hold(self, hold_id: str) -> FakeHold | None:
        return next((h for h in self.holds.values() if str(h.authorization_id) == hold_id), None)

    def _answer(self, hold: FakeHold, status: int) -> Response:
        consumed = sum(hold.consumed.values())
        status_value = AuthorizationStatus.RELEASED if hold.released else AuthorizationStatus.ACTIVE
        body = AuthorizationResponse(
            authorization_id=hold.authorization_id,
            status=status_value,
            metric=hold.request.metric,
            charged_subject_type=CreditSubjectType.USER,
            charged_subject_id=hold.request.user_id,
            credits_reserved=hold.request.quantity,
            credits_consumed=consumed,
            credits_remaining=0 if hold.released else hold.request.quantity - consumed,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        return Response(body.model_dump_json(), status=status, content_type="application/json")


class FakeFileService:
    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.app = Quart("fake_file_service")
        self.app.add_url_rule(
            "/internal/v1/content/<storage_id>", view_func=self._content, methods=["GET"]
        )

    async def _content(self, storage_id: str) -> Response:
        if not _authorized():
            return _error(401, ErrorCode.AUTHENTICATION_ERROR, "missing internal key")
        text = self.texts.get(storage_id)
        if text is None:
            return _error(404, ErrorCode.RESOURCE_NOT_FOUND, "no such content")
        body = EssayContentResponse(
            storage_id=storage_id,
            content_type=ContentType.EXTRACTED_TEXT,
            text=text,
            char_count=len(text),
            md5="0" * 32,
        )
        return Response(body.model_dump_json(), status=200, content_type="application/json")
