"""The simulated judge: deterministic Bradley-Terry answers, labelled as simulated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from common_core.domain_enums import JudgeKind
from services.cj_assessment_service.domain.judging import JudgeTask, JudgeVerdict, Position
from services.cj_assessment_service.domain.simulated_judge import (
    DeclaredQualities,
    SimulatedJudgeModel,
    quality_from_text,
)

QualityOf = Callable[[str], float]


def declared_qualities(path: Path | None) -> QualityOf:
    """The qualities a JSON file declares ({"<opening words>": logits}); none without a file."""
    if path is None:
        return quality_from_text
    qualities = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(qualities, dict):
        raise ValueError(f"{path}: expected a JSON object of text openings to qualities")
    return DeclaredQualities.of({str(k): float(v) for k, v in qualities.items()})


class SimulatedJudge:
    def __init__(
        self,
        model: SimulatedJudgeModel,
        quality_of: QualityOf = quality_from_text,
        delay_seconds: float = 0.0,
    ) -> None:
        self.model = model
        self.quality_of = quality_of
        self.delay_seconds = delay_seconds

    @property
    def kind(self) -> JudgeKind:
        return JudgeKind.SIMULATED

    async def judge(self, task: JudgeTask) -> JudgeVerdict:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        decision = self.model.decide(
            self.quality_of(task.essay_a), self.quality_of(task.essay_b), str(task.comparison_id)
        )
        winner = Position.A if decision.first_won else Position.B
        return JudgeVerdict(
            winner,
            decision.confidence,
            "Simulated judgement from a latent quality per essay (not a real assessment).",
            f"simulated:seed={self.model.seed}",
        )
