"""Admin routes (/admin/v1/entitlements/...): the admin key always; every call is audited."""

from __future__ import annotations

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_querystring, validate_request, validate_response

from common_core.domain_enums import CreditSubjectType
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.identity import Caller, require_admin_key
from services.entitlements_service.api.schemas import (
    AccountBalance,
    AdjustRequest,
    AdminBalanceResponse,
    AdminLedgerArgs,
    LedgerItem,
    LedgerPage,
    PolicyReloadResponse,
    SetBalanceRequest,
    next_cursor,
)
from services.entitlements_service.domain.accounts import Balance, Subject
from services.entitlements_service.domain.errors import InvalidRequestError
from services.entitlements_service.domain.ledger import LedgerEntry
from services.entitlements_service.handlers.admin import Adjustment, Admin
from services.entitlements_service.protocols import LedgerQuery

ACCOUNT = "/accounts/<any(user, org):subject_type>/<subject_id>"


def _subject(subject_type: str, subject_id: str) -> Subject:
    if not 0 < len(subject_id) <= 255:
        raise InvalidRequestError("subject_id must be 1 to 255 characters")
    return Subject(CreditSubjectType(subject_type), subject_id)


def _actor(caller: Caller) -> str:
    return caller.admin_user or "admin"


def _answer(entry: LedgerEntry, corr: CorrelationContext) -> AdminBalanceResponse:
    after = Balance(entry.subject, entry.balance_after, entry.held_after)
    return AdminBalanceResponse(
        account=AccountBalance.of(after),
        ledger_entry_id=entry.entry_id,
        delta=entry.delta,
        correlation_id=corr.original,
    )


def _ledger_query(args: AdminLedgerArgs) -> LedgerQuery:
    subject = None
    if args.subject_type is not None and args.subject_id is not None:
        subject = Subject(args.subject_type, args.subject_id)
    elif args.subject_type is not None or args.subject_id is not None:
        raise InvalidRequestError("subject_type and subject_id go together")
    return LedgerQuery(
        subject=subject,
        reason=args.reason.value if args.reason else None,
        before_seq=int(args.cursor) if args.cursor else None,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )


@validate_request(AdjustRequest)
@validate_response(AdminBalanceResponse, 200)
@inject
async def adjust(
    subject_type: str,
    subject_id: str,
    data: AdjustRequest,
    admin: FromDishka[Admin],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> AdminBalanceResponse:
    """Add (or with a negative delta, remove) credits; never below what holds reserve."""
    if data.delta == 0:
        raise InvalidRequestError("delta must not be zero")
    adjustment = Adjustment(
        _subject(subject_type, subject_id),
        _actor(caller),
        data.note,
        delta=data.delta,
        idempotency_key=data.idempotency_key,
    )
    return _answer(await admin.adjust(adjustment, corr.uuid), corr)


@validate_request(SetBalanceRequest)
@validate_response(AdminBalanceResponse, 200)
@inject
async def set_balance(
    subject_type: str,
    subject_id: str,
    data: SetBalanceRequest,
    admin: FromDishka[Admin],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> AdminBalanceResponse:
    """Set the balance; the difference is ledgered as an admin adjustment."""
    adjustment = Adjustment(
        _subject(subject_type, subject_id),
        _actor(caller),
        data.note,
        target_balance=data.balance,
    )
    return _answer(await admin.adjust(adjustment, corr.uuid), corr)


@validate_querystring(AdminLedgerArgs)
@validate_response(LedgerPage, 200)
@inject
async def search_ledger(
    query_args: AdminLedgerArgs,
    admin: FromDishka[Admin],
    corr: FromDishka[CorrelationContext],
    caller: FromDishka[Caller],
) -> LedgerPage:
    """Search every account's movements, newest first."""
    entries = await admin.search(_ledger_query(query_args), _actor(caller), corr.uuid)
    return LedgerPage(
        entries=[LedgerItem.of(entry) for entry in entries],
        next_cursor=next_cursor(entries, query_args.limit),
        correlation_id=corr.original,
    )


@validate_response(PolicyReloadResponse, 200)
@inject
async def reload_policy(
    admin: FromDishka[Admin], corr: FromDishka[CorrelationContext], caller: FromDishka[Caller]
) -> PolicyReloadResponse:
    """Re-read the policy file; a bad file is a 400 naming the entry and changes nothing."""
    previous, current = await admin.reload_policy(_actor(caller), corr.uuid)
    return PolicyReloadResponse(
        previous_version=previous, version=current, correlation_id=corr.original
    )


def admin_blueprint() -> Blueprint:
    api = Blueprint("admin", __name__, url_prefix="/admin/v1/entitlements")
    api.before_request(require_admin_key)
    api.add_url_rule(ACCOUNT + "/adjust", view_func=adjust, methods=["POST"])
    api.add_url_rule(ACCOUNT + "/balance", view_func=set_balance, methods=["PUT"])
    api.add_url_rule("/ledger", view_func=search_ledger, methods=["GET"])
    api.add_url_rule("/policy/reload", view_func=reload_policy, methods=["POST"])
    return api
