"""Service-to-service routes (/internal/v1/entitlements/...), behind the internal API key."""

from __future__ import annotations

from uuid import UUID

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_request, validate_response

from common_core.models.entitlements_api import (
    AuthorizationResponse,
    BulkCreditCheckRequest,
    BulkCreditCheckResponse,
    ConsumeAuthorizationRequest,
    ConsumeCreditsRequest,
    ConsumeCreditsResponse,
    CreateAuthorizationRequest,
    CreditCheckRequest,
    CreditCheckResponse,
    ReleaseAuthorizationRequest,
)
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.identity import Caller, require_internal_key
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits


@validate_request(CreditCheckRequest)
@validate_response(CreditCheckResponse, 200)
@inject
async def check_credits(
    data: CreditCheckRequest, check: FromDishka[CheckCredits]
) -> CreditCheckResponse:
    """Advisory preflight for one metric: nothing is reserved."""
    return await check.single(data)


@validate_request(BulkCreditCheckRequest)
@validate_response(BulkCreditCheckResponse, 200)
@inject
async def check_credits_bulk(
    data: BulkCreditCheckRequest, check: FromDishka[CheckCredits]
) -> BulkCreditCheckResponse:
    """Advisory preflight for several metrics paid by one account."""
    return await check.bulk(data)


@validate_request(ConsumeCreditsRequest)
@validate_response(ConsumeCreditsResponse, 200)
@inject
async def consume_credits(
    data: ConsumeCreditsRequest,
    consume: FromDishka[ConsumeCredits],
    corr: FromDishka[CorrelationContext],
) -> ConsumeCreditsResponse:
    """Charge once per idempotency key (402 when no account covers it, 409 on a changed
    payload under a used key, 429 when rate limited)."""
    return await consume(data, corr.uuid)


@validate_request(CreateAuthorizationRequest)
@validate_response(AuthorizationResponse, 201)
@validate_response(AuthorizationResponse, 200)
@inject
async def create_authorization(
    data: CreateAuthorizationRequest,
    holds: FromDishka[Authorizations],
    corr: FromDishka[CorrelationContext],
) -> tuple[AuthorizationResponse, int]:
    """Reserve credits for a job (201; 200 for a repeat of the same key)."""
    hold = await holds.create(data, corr.uuid)
    return hold, 200 if hold.idempotent_replay else 201


@validate_request(ConsumeAuthorizationRequest)
@validate_response(AuthorizationResponse, 200)
@inject
async def consume_authorization(
    authorization_id: UUID,
    data: ConsumeAuthorizationRequest,
    holds: FromDishka[Authorizations],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> AuthorizationResponse:
    """Charge work against a hold, once per idempotency key."""
    return await holds.consume(authorization_id, data, corr.uuid, caller.user_id)


@validate_request(ReleaseAuthorizationRequest)
@validate_response(AuthorizationResponse, 200)
@inject
async def release_authorization(
    authorization_id: UUID,
    data: ReleaseAuthorizationRequest,
    holds: FromDishka[Authorizations],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> AuthorizationResponse:
    """Return what the hold has left; releasing a closed hold changes nothing."""
    return await holds.release(authorization_id, corr.uuid, caller.user_id, data.reason)


def internal_blueprint() -> Blueprint:
    api = Blueprint("internal", __name__, url_prefix="/internal/v1/entitlements")
    api.before_request(require_internal_key)
    api.add_url_rule("/check-credits", view_func=check_credits, methods=["POST"])
    api.add_url_rule("/check-credits/bulk", view_func=check_credits_bulk, methods=["POST"])
    api.add_url_rule("/consume-credits", view_func=consume_credits, methods=["POST"])
    api.add_url_rule("/authorizations", view_func=create_authorization, methods=["POST"])
    api.add_url_rule(
        "/authorizations/<uuid:authorization_id>/consume",
        view_func=consume_authorization,
        methods=["POST"],
    )
    api.add_url_rule(
        "/authorizations/<uuid:authorization_id>/release",
        view_func=release_authorization,
        methods=["POST"],
    )
    return api
