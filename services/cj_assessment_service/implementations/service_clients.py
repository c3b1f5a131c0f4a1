"""The entitlements and file services, over their internal HTTP APIs (common_core API models)."""

from __future__ import annotations

from uuid import UUID

import httpx
from pydantic import ValidationError

from common_core.error_enums import ErrorCode
from common_core.models.entitlements_api import (
    AuthorizationResponse,
    ConsumeAuthorizationRequest,
    CreateAuthorizationRequest,
    ReleaseAuthorizationRequest,
)
from common_core.models.error_models import ErrorDetail
from common_core.models.file_api import EssayContentResponse
from huleedu_service_libs.correlation import CorrelationContext, current_correlation
from huleedu_service_libs.error_handling import HuleEduError
from huleedu_service_libs.http_client import ServiceClient
from services.cj_assessment_service.config import SERVICE_NAME
from services.cj_assessment_service.protocols import (
    ContentMissing,
    ContentUnavailable,
    CreditsRefused,
    CreditsUnavailable,
)

HOLDS = "/internal/v1/entitlements/authorizations"
USER_HEADER = "X-User-ID"


class EntitlementsClient:
    def __init__(self, client: ServiceClient, metric: str, hold_ttl_seconds: int) -> None:
        self.client = client
        self.metric = metric
        self.hold_ttl_seconds = hold_ttl_seconds

    async def authorize(
        self, *, user_id: str, org_id: str | None, quantity: int, key: str, resource_id: str
    ) -> UUID:
        body = CreateAuthorizationRequest(
            user_id=user_id,
            org_id=org_id,
            metric=self.metric,
            quantity=quantity,
            idempotency_key=key,
            resource_id=resource_id,
            ttl_seconds=self.hold_ttl_seconds,
        )
        response = await self._call(HOLDS, body.model_dump(mode="json"), user_id)
        return _authorization(response).authorization_id

    async def consume(
        self, authorization_id: UUID, *, user_id: str, quantity: int, key: str
    ) -> None:
        body = ConsumeAuthorizationRequest(quantity=quantity, idempotency_key=key)
        response = await self._call(
            f"{HOLDS}/{authorization_id}/consume", body.model_dump(mode="json"), user_id
        )
        _authorization(response)

    async def release(self, authorization_id: UUID, *, user_id: str, reason: str) -> None:
        body = ReleaseAuthorizationRequest(reason=reason)
        response = await self._call(
            f"{HOLDS}/{authorization_id}/release", body.model_dump(mode="json"), user_id
        )
        _authorization(response)

    async def _call(self, path: str, body: dict[str, object], user_id: str) -> httpx.Response:
        try:
            return await self.client.request(
                "POST", path, json=body, headers={USER_HEADER: user_id}
            )
        except HuleEduError as error:
            raise CreditsUnavailable(error.error_detail.message) from None


def _authorization(response: httpx.Response) -> AuthorizationResponse:
    if response.status_code in (200, 201):
        try:
            return AuthorizationResponse.model_validate(response.json())
        except (ValueError, ValidationError):
            raise CreditsUnavailable("entitlements answered with an unreadable body") from None
    raise CreditsRefused(_error_detail(response, "entitlements"))


def _error_detail(response: httpx.Response, target: str) -> ErrorDetail:
    try:
        return ErrorDetail.model_validate(response.json())
    except (ValueError, ValidationError):
        correlation = current_correlation() or CorrelationContext.generate()
        return ErrorDetail(
            error_code=ErrorCode.EXTERNAL_SERVICE_ERROR,
            message=f"{target} answered {response.status_code}",
            correlation_id=correlation.uuid,
            service=SERVICE_NAME,
            operation=f"call {target}",
        )


class FileContentClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def text(self, storage_id: str) -> str:
        try:
            response = await self.client.get(f"/internal/v1/content/{storage_id}")
        except HuleEduError as error:
            raise ContentUnavailable(error.error_detail.message) from None
        if response.status_code == 404:
            raise ContentMissing(storage_id)
        if response.status_code != 200:
            raise ContentUnavailable(f"file service answered {response.status_code}")
        try:
            return EssayContentResponse.model_validate(response.json()).text
        except (ValueError, ValidationError):
            raise ContentUnavailable("file service answered with an unreadable body") from None
