"""When to stop asking for comparisons."""

from collections.abc import Sequence
from dataclasses import dataclass

from common_core.domain_enums import CJStopReason


@dataclass(frozen=True)
class StoppingRule:
    target_reliability: float = 0.8
    min_comparisons_per_essay: int = 5

    def reason_to_stop(
        self,
        *,
        reliability: float,
        counts: Sequence[int],
        completed: int,
        budget: int,
    ) -> CJStopReason | None:
        if completed >= budget:
            return CJStopReason.BUDGET_EXHAUSTED
        enough_each = min(counts, default=0) >= self.min_comparisons_per_essay
        if enough_each and reliability >= self.target_reliability:
            return CJStopReason.RELIABILITY_REACHED
        return None
