"""Teacher routes (/v1/entitlements/...): the gateway's X-User-ID, optionally X-Org-ID."""

from __future__ import annotations

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_querystring, validate_response

from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.identity import Caller, require_teacher
from services.entitlements_service.api.schemas import (
    AccountBalance,
    ActiveHold,
    BalanceResponse,
    LedgerItem,
    LedgerPage,
    TeacherLedgerArgs,
    next_cursor,
)
from services.entitlements_service.domain.accounts import Actor, Subject
from services.entitlements_service.domain.errors import InvalidRequestError
from services.entitlements_service.handlers.queries import TeacherQueries


@validate_response(BalanceResponse, 200)
@inject
async def balance(
    queries: FromDishka[TeacherQueries],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> BalanceResponse:
    """Your balance, your organisation's (with X-Org-ID), and their active holds."""
    view = await queries.balances(_actor(caller), corr.uuid)
    return BalanceResponse(
        accounts=[AccountBalance.of(item) for item in view.balances],
        active_holds=[ActiveHold.of(hold) for hold in view.active_holds],
        correlation_id=corr.original,
    )


@validate_querystring(TeacherLedgerArgs)
@validate_response(LedgerPage, 200)
@inject
async def ledger(
    query_args: TeacherLedgerArgs,
    queries: FromDishka[TeacherQueries],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> LedgerPage:
    """Your credit movements, newest first; follow next_cursor for older ones."""
    actor = _actor(caller)
    if query_args.account == "org" and actor.org_id is None:
        raise InvalidRequestError("account=org needs the X-Org-ID header")
    subject = (
        Subject.org(actor.org_id)
        if query_args.account == "org" and actor.org_id
        else Subject.user(actor.user_id)
    )
    before = int(query_args.cursor) if query_args.cursor else None
    entries = await queries.ledger(subject, before, query_args.limit)
    return LedgerPage(
        entries=[LedgerItem.of(entry) for entry in entries],
        next_cursor=next_cursor(entries, query_args.limit),
        correlation_id=corr.original,
    )


def _actor(caller: Caller) -> Actor:
    return Actor(caller.teacher_id, caller.org_id)


def teacher_blueprint() -> Blueprint:
    api = Blueprint("teacher", __name__, url_prefix="/v1/entitlements")
    api.before_request(require_teacher)
    api.add_url_rule("/balance", view_func=balance, methods=["GET"])
    api.add_url_rule("/ledger", view_func=ledger, methods=["GET"])
    return api
