"""Account steps shared by the handlers; each runs inside the caller's unit of work."""

from __future__ import annotations

from uuid import UUID

from common_core.domain_enums import CreditMovementReason
from services.entitlements_service.domain.accounts import Actor, Balance, Subject
from services.entitlements_service.domain.errors import InsufficientCreditsError
from services.entitlements_service.domain.ledger import LedgerEntry, Movement, scoped_key
from services.entitlements_service.domain.policy import CreditPolicy
from services.entitlements_service.handlers.events import emit_balance_changed
from services.entitlements_service.protocols import UnitOfWork


async def open_account(
    uow: UnitOfWork, subject: Subject, policy: CreditPolicy, correlation_id: UUID
) -> bool:
    """Creates the account with its signup bonus (once: only the creating transaction grants it)."""
    bonus = policy.signup_bonus.for_subject(subject.type)
    created = await uow.accounts.create_if_absent(subject, bonus)
    if created is None:
        return False
    if bonus:
        movement = Movement(CreditMovementReason.SIGNUP_BONUS, note=f"policy {policy.version}")
        key = scoped_key("signup-bonus", subject.key)
        entry = LedgerEntry.record(created, bonus, 0, movement, correlation_id, key)
        await uow.ledger.add(entry)
        emit_balance_changed(uow, entry, None)
    return True


async def move(
    uow: UnitOfWork,
    subject: Subject,
    delta: int,
    held_delta: int,
    policy: CreditPolicy,
    correlation_id: UUID,
) -> Balance | None:
    """The atomic conditional update; on refusal the account is opened if missing (with its
    bonus) and the update retried, since a concurrent request may have just opened it."""
    after = await uow.accounts.move(subject, delta, held_delta)
    if after is None:
        await open_account(uow, subject, policy, correlation_id)
        after = await uow.accounts.move(subject, delta, held_delta)
    return after


async def move_for_first_payer(
    uow: UnitOfWork,
    actor: Actor,
    delta: int,
    held_delta: int,
    policy: CreditPolicy,
    correlation_id: UUID,
) -> Balance:
    """Org first, then user: the first account that can take the whole movement takes it."""
    for subject in actor.payers():
        after = await move(uow, subject, delta, held_delta, policy, correlation_id)
        if after is not None:
            return after
    required = max(-delta, held_delta)
    raise await insufficient(uow, actor, required, policy)


async def insufficient(
    uow: UnitOfWork, actor: Actor, required: int, policy: CreditPolicy
) -> InsufficientCreditsError:
    balances = await available_balances(uow, actor, policy)
    details = {f"{balance.subject.type.value}_available": balance.available for balance in balances}
    best = max(balance.available for balance in balances)
    return InsufficientCreditsError(required, best, **details)


async def available_balances(uow: UnitOfWork, actor: Actor, policy: CreditPolicy) -> list[Balance]:
    """Payers in order; an account not opened yet counts with the bonus it would open with."""
    balances = []
    for subject in actor.payers():
        balance = await uow.accounts.get(subject)
        bonus = policy.signup_bonus.for_subject(subject.type)
        balances.append(balance or Balance(subject, balance=bonus))
    return balances
