"""The policy in force, swapped whole on reload so a request never sees half of two policies."""

from __future__ import annotations

from pathlib import Path

from services.entitlements_service.domain.policy import CreditPolicy, load_policy


class PolicyStore:
    def __init__(self, path: Path, policy: CreditPolicy | None = None) -> None:
        self.path = path
        self.current = policy or load_policy(path)

    def reload(self) -> tuple[CreditPolicy, CreditPolicy]:
        """(previous, new); raises PolicyError and keeps the current policy when the file is bad."""
        previous, self.current = self.current, load_policy(self.path)
        return previous, self.current
