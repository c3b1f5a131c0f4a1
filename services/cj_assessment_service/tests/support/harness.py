"""The use cases resolved from the production container, with providers of in-memory fakes in
place of the database, the other services, the judge and the clock."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID, uuid4

from dishka import AsyncContainer, Provider, Scope, provide
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat, JudgeKind
from common_core.events.codec import new_envelope
from common_core.events.envelope import EventEnvelope
from common_core.events.file import EssayContentProvisionedV1
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.events import EnvelopeFactory
from services.cj_assessment_service.config import Settings, load_service_settings
from services.cj_assessment_service.di import Judges
from services.cj_assessment_service.domain.simulated_judge import SimulatedJudgeModel
from services.cj_assessment_service.handlers.anchors import AnchorCatalogue
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.creation import AssessmentFactory
from services.cj_assessment_service.handlers.essays import (
    RecordProvisionedEssay,
    RecordRemovedEssay,
)
from services.cj_assessment_service.handlers.queries import AssessmentQueries
from services.cj_assessment_service.handlers.requests import (
    HandleAssessmentRequest,
    StartBatchAssessment,
)
from services.cj_assessment_service.implementations.simulated_judge import SimulatedJudge
from services.cj_assessment_service.protocols import (
    ComparisonJudge,
    ContentSource,
    CreditGateway,
    UnitOfWorkFactory,
)
from services.cj_assessment_service.startup_setup import build_worker_container
from services.cj_assessment_service.tests.support.fakes import (
    FakeContent,
    FakeCredits,
    ManualClock,
)
from services.cj_assessment_service.tests.support.memory import MemoryState, MemoryUnitOfWork
from services.cj_assessment_service.workers.assessments import AssessmentWorker
from services.cj_assessment_service.workers.runner import AssessmentRunner
from services.cj_assessment_service.workers.sweeper import StallSweeper

QUALITY = re.compile(r"quality (-?\d+(?:\.\d+)?)")
TEACHER = "teacher-1"
UNUSED_DATABASE = "postgresql+asyncpg://unit:tests@127.0.0.1:1/none"
# Small designs and a fast loop; the rest are the production defaults.
HARNESS_SETTINGS: dict[str, Any] = {
    "COMPARISONS_PER_ESSAY": 6,
    "MIN_COMPARISONS_PER_ESSAY": 3,
    "MAX_ESSAYS_PER_ASSESSMENT": 200,
    "MAX_ANCHORS_PER_ASSESSMENT": 10,
    "STALL_TIMEOUT_SECONDS": 600,
    "RUNNER_CONCURRENCY": 2,
    "RUNNER_POLL_SECONDS": 0.01,
}


def quality_in(text: str) -> float:
    found = QUALITY.findall(text)
    return float(found[-1]) if found else 0.0


def simulated_judge(seed: int = 0) -> SimulatedJudge:
    return SimulatedJudge(SimulatedJudgeModel(seed), quality_of=quality_in)


@dataclass
class Fakes:
    judge: ComparisonJudge = field(default_factory=simulated_judge)
    state: MemoryState = field(default_factory=MemoryState)
    clock: ManualClock = field(default_factory=ManualClock)
    credits: FakeCredits = field(default_factory=FakeCredits)
    content: FakeContent = field(default_factory=FakeContent)


class FakesProvider(Provider):
    scope = Scope.APP

    def __init__(self, fakes: Fakes) -> None:
        super().__init__()
        self.fakes = fakes

    @provide
    def units_of_work(self, envelopes: EnvelopeFactory) -> UnitOfWorkFactory:
        return functools.partial(MemoryUnitOfWork, self.fakes.state, envelopes)

    @provide
    def clock(self) -> Clock:
        return self.fakes.clock

    @provide
    def credits(self) -> CreditGateway:
        return self.fakes.credits

    @provide
    def content(self) -> ContentSource:
        return self.fakes.content

    @provide
    def judges(self) -> Judges:
        return {self.fakes.judge.kind: self.fakes.judge}


@dataclass
class Harness:
    container: AsyncContainer
    fakes: Fakes
    start: StartBatchAssessment
    on_request: HandleAssessmentRequest
    on_provisioned: RecordProvisionedEssay
    on_removed: RecordRemovedEssay
    queries: AssessmentQueries
    cancel: CancelAssessment
    anchors: AnchorCatalogue
    factory: AssessmentFactory
    runner: AssessmentRunner
    sweeper: StallSweeper
    worker: AssessmentWorker
    uows: UnitOfWorkFactory
    spawn: Callable[[], Awaitable[AsyncContainer]]

    @property
    def state(self) -> MemoryState:
        return self.fakes.state

    @property
    def clock(self) -> ManualClock:
        return self.fakes.clock

    @property
    def credits(self) -> FakeCredits:
        return self.fakes.credits

    @property
    def content(self) -> FakeContent:
        return self.fakes.content

    @property
    def judge_kind(self) -> JudgeKind:
        return self.fakes.judge.kind

    async def another_worker(self) -> AssessmentWorker:
        """The assessment loop of a second worker process over the same database."""
        worker: AssessmentWorker = await (await self.spawn()).get(AssessmentWorker)
        return worker

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


class MakeHarness(Protocol):
    async def __call__(self, judge: ComparisonJudge | None = None, **settings: Any) -> Harness: ...


@asynccontextmanager
async def harnesses() -> AsyncIterator[MakeHarness]:
    """Harnesses whose containers are closed when the block ends."""
    engine = create_async_engine(UNUSED_DATABASE)  # never connected: the fakes replace it
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)

        async def container(settings: Settings, fakes: Fakes) -> AsyncContainer:
            built = build_worker_container(settings, engine, FakesProvider(fakes))
            stack.push_async_callback(built.close)
            return built

        async def make(judge: ComparisonJudge | None = None, **overrides: Any) -> Harness:
            fakes = Fakes(judge=judge or simulated_judge())
            settings = _settings(fakes, overrides)
            spawn = functools.partial(container, settings, fakes)
            return await _resolve(await spawn(), fakes, spawn)

        yield make


def _settings(fakes: Fakes, overrides: dict[str, Any]) -> Settings:
    values = {**HARNESS_SETTINGS, "JUDGE": fakes.judge.kind.value, **overrides}
    return load_service_settings(DATABASE_URL=UNUSED_DATABASE, ENVIRONMENT="testing", **values)


async def _resolve(
    container: AsyncContainer, fakes: Fakes, spawn: Callable[[], Awaitable[AsyncContainer]]
) -> Harness:
    get = container.get
    return Harness(
        container,
        fakes,
        start=await get(StartBatchAssessment),
        on_request=await get(HandleAssessmentRequest),
        on_provisioned=await get(RecordProvisionedEssay),
        on_removed=await get(RecordRemovedEssay),
        queries=await get(AssessmentQueries),
        cancel=await get(CancelAssessment),
        anchors=await get(AnchorCatalogue),
        factory=await get(AssessmentFactory),
        runner=await get(AssessmentRunner),
        sweeper=await get(StallSweeper),
        worker=await get(AssessmentWorker),
        uows=await get(UnitOfWorkFactory),
        spawn=spawn,
    )


def _provisioned(
    batch_id: UUID, owner: str, course: CourseCode, storage_id: str, index: int
) -> EventEnvelope[EssayContentProvisionedV1]:
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
