"""Wires the use cases to in-memory fakes the way di.py wires them to real adapters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat, JudgeKind
from common_core.events.codec import new_envelope
from common_core.events.file import EssayContentProvisionedV1
from services.cj_assessment_service.domain.design import DesignSettings
from services.cj_assessment_service.domain.simulated_judge import SimulatedJudgeModel
from services.cj_assessment_service.handlers.anchors import AnchorCatalogue
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.comparing import ComparingSteps
from services.cj_assessment_service.handlers.content import EssayTexts
from services.cj_assessment_service.handlers.creation import AssessmentDefaults, AssessmentFactory
from services.cj_assessment_service.handlers.credits import CreditSteps
from services.cj_assessment_service.handlers.essays import RecordProvisionedEssay
from services.cj_assessment_service.handlers.judging import RoundJudging
from services.cj_assessment_service.handlers.queries import AssessmentQueries
from services.cj_assessment_service.handlers.requests import (
    HandleAssessmentRequest,
    StartBatchAssessment,
)
from services.cj_assessment_service.handlers.runner import AssessmentRunner
from services.cj_assessment_service.handlers.scoring import ScoringStep
from services.cj_assessment_service.handlers.steps import RunnerPolicy
from services.cj_assessment_service.handlers.sweeper import StallSweeper
from services.cj_assessment_service.handlers.worker_loop import AssessmentWorker
from services.cj_assessment_service.implementations.simulated_judge import SimulatedJudge
from services.cj_assessment_service.protocols import ComparisonJudge
from services.cj_assessment_service.tests.support.fakes import (
    FakeContent,
    FakeCredits,
    ManualClock,
)
from services.cj_assessment_service.tests.support.memory import (
    MemoryState,
    MemoryUnitOfWorkFactory,
)

QUALITY = re.compile(r"quality (-?\d+(?:\.\d+)?)")
TEACHER = "teacher-1"


def quality_in(text: str) -> float:
    found = QUALITY.findall(text)
    return float(found[-1]) if found else 0.0


def simulated_judge(seed: int = 0) -> SimulatedJudge:
    return SimulatedJudge(SimulatedJudgeModel(seed), quality_of=quality_in)


@dataclass
class Harness:
    judge: ComparisonJudge = field(default_factory=simulated_judge)
    design: DesignSettings = field(
        default_factory=lambda: DesignSettings(comparisons_per_essay=6, min_comparisons_per_essay=3)
    )
    policy: RunnerPolicy = field(default_factory=RunnerPolicy)
    state: MemoryState = field(default_factory=MemoryState)
    clock: ManualClock = field(default_factory=ManualClock)
    credits: FakeCredits = field(default_factory=FakeCredits)
    content: FakeContent = field(default_factory=FakeContent)

    def __post_init__(self) -> None:
        self.uows = MemoryUnitOfWorkFactory(self.state)
        defaults = AssessmentDefaults(self.design, self.judge.kind, max_essays=200, max_anchors=10)
        self.factory = AssessmentFactory(self.clock, defaults)
        self.start = StartBatchAssessment(self.uows, self.factory)
        self.on_request = HandleAssessmentRequest(self.uows, self.factory)
        self.on_provisioned = RecordProvisionedEssay(self.uows)
        self.queries = AssessmentQueries(self.uows)
        self.cancel = CancelAssessment(self.uows, self.clock)
        self.anchors = AnchorCatalogue(self.uows, self.clock, max_text_chars=50_000)
        self.credit_steps = CreditSteps(self.uows, self.credits, self.clock, self.policy)
        judging = RoundJudging(self.uows, {self.judge.kind: self.judge}, self.clock, self.policy)
        texts = EssayTexts(self.uows, self.content)
        comparing = ComparingSteps(
            self.uows, judging, self.credit_steps, texts, self.clock, self.policy
        )
        self.runner = AssessmentRunner(
            self.uows,
            self.credit_steps,
            comparing,
            ScoringStep(self.uows, self.clock),
            self.clock,
            self.policy,
        )
        self.sweeper = StallSweeper(self.uows, self.clock, stall_seconds=600)
        self.worker = self.make_worker("worker-1")

    def make_worker(self, owner: str) -> AssessmentWorker:
        return AssessmentWorker(
            self.uows,
            self.runner,
            self.sweeper,
            self.clock,
            owner=owner,
            concurrency=2,
            poll_seconds=0.01,
            lease_seconds=60,
            sweep_seconds=60,
        )

    async def provision(
        self,
        qualities: list[float],
        *,
        owner: str = TEACHER,
        course: CourseCode = CourseCode.ENG6,
        batch_id: UUID | None = None,
    ) -> UUID:
        batch_id = batch_id or uuid4()
        for index, quality in enumerate(qualities):
            storage_id = f"text-{batch_id}-{index}"
            self.content.texts[storage_id] = f"Essay number {index}, quality {quality}"
            await self.on_provisioned(_provisioned(batch_id, owner, course, storage_id, index))
        return batch_id

    def assessment(self, assessment_id: UUID) -> object:
        return self.state.assessments[assessment_id]

    @property
    def judge_kind(self) -> JudgeKind:
        return self.judge.kind


def _provisioned(batch_id: UUID, owner: str, course: CourseCode, storage_id: str, index: int):  # type: ignore[no-untyped-def]
    payload = EssayContentProvisionedV1(
        batch_id=batch_id,
        file_upload_id=uuid4(),
        owner_user_id=owner,
        course_code=course,
        original_file_name=f"essay-{index}.txt",
        file_format=FileFormat.TXT,
        raw_file_storage_id=f"raw-{storage_id}",
        text_storage_id=storage_id,
        file_size_bytes=100,
        file_md5="0" * 32,
        text_char_count=40,
    )
    return new_envelope(payload, source_service="file_service", correlation_id=uuid4())
