"""Credit accounts: one balance per subject, and who pays for a charge (org first, never split)."""

from __future__ import annotations

from dataclasses import dataclass

from common_core.domain_enums import CreditSubjectType


@dataclass(frozen=True, slots=True)
class Subject:
    type: CreditSubjectType
    id: str

    @classmethod
    def user(cls, user_id: str) -> Subject:
        return cls(CreditSubjectType.USER, user_id)

    @classmethod
    def org(cls, org_id: str) -> Subject:
        return cls(CreditSubjectType.ORG, org_id)

    @property
    def key(self) -> str:
        return f"{self.type.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Balance:
    """`held` is what active holds reserve; only the rest is available."""

    subject: Subject
    balance: int
    held: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a user, possibly acting for an organisation."""

    user_id: str
    org_id: str | None = None

    def payers(self) -> list[Subject]:
        """The accounts that may pay, in the order they are tried."""
        user = Subject.user(self.user_id)
        return [user] if self.org_id is None else [Subject.org(self.org_id), user]


def choose_payer(candidates: list[Balance], required: int) -> Balance | None:
    """The first account (org before user) whose available credit covers the whole amount."""
    return next((account for account in candidates if account.available >= required), None)
