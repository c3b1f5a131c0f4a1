"""Rate-limit verdicts: the tightest window decides."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WindowState:
    limit: int
    window_seconds: int
    used: int
    retry_after_seconds: int = 0

    def allows(self, quantity: int) -> bool:
        return self.used + quantity <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    window: WindowState | None = None

    @classmethod
    def unlimited(cls) -> RateVerdict:
        return cls(allowed=True)


def decide(windows: list[WindowState], quantity: int) -> RateVerdict:
    """Refused by the first window that cannot take `quantity`; else the one with least room."""
    if not windows:
        return RateVerdict.unlimited()
    refused = [window for window in windows if not window.allows(quantity)]
    if refused:
        return RateVerdict(allowed=False, window=refused[0])
    return RateVerdict(allowed=True, window=min(windows, key=lambda window: window.remaining))
