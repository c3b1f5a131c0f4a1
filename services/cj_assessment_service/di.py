"""The service's own Dishka providers (the library gives the infrastructure), small and grouped
by what they wire. Everything here lives for the process."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Mapping

import httpx
from dishka import AsyncContainer, Provider, Scope, provide
from prometheus_client import CollectorRegistry

from common_core.domain_enums import JudgeKind
from huleedu_service_libs.clock import Clock
from huleedu_service_libs.http_client import create_service_client
from huleedu_service_libs.kafka import EventConsumer, KafkaBus
from huleedu_service_libs.kafka.subscriptions import dispatchers
from huleedu_service_libs.observability.tracing import tracer_provider_for
from huleedu_service_libs.unit_of_work import SqlTransactions
from services.cj_assessment_service.config import SERVICE_NAME, JudgeChoice, Settings
from services.cj_assessment_service.domain.design import DesignSettings
from services.cj_assessment_service.domain.simulated_judge import SimulatedJudgeModel
from services.cj_assessment_service.handlers.anchors import AnchorCatalogue
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.comparing import ComparingSteps
from services.cj_assessment_service.handlers.content import EssayTexts
from services.cj_assessment_service.handlers.creation import AssessmentDefaults, AssessmentFactory
from services.cj_assessment_service.handlers.credits import CreditSteps
from services.cj_assessment_service.handlers.essays import (
    RecordProvisionedEssay,
    RecordRemovedEssay,
)
from services.cj_assessment_service.handlers.judging import RoundJudging
from services.cj_assessment_service.handlers.queries import AssessmentQueries
from services.cj_assessment_service.handlers.requests import (
    HandleAssessmentRequest,
    StartBatchAssessment,
)
from services.cj_assessment_service.handlers.scoring import ScoringStep
from services.cj_assessment_service.handlers.steps import RunnerPolicy
from services.cj_assessment_service.implementations.llm_judge import (
    LlmJudge,
    LlmJudgeConfig,
    build_breaker,
)
from services.cj_assessment_service.implementations.service_clients import (
    EntitlementsClient,
    FileContentClient,
)
from services.cj_assessment_service.implementations.simulated_judge import (
    SimulatedJudge,
    declared_qualities,
)
from services.cj_assessment_service.implementations.unit_of_work import AssessmentUnitOfWork
from services.cj_assessment_service.metrics import CJMetrics
from services.cj_assessment_service.protocols import (
    ComparisonJudge,
    ContentSource,
    CreditGateway,
    UnitOfWorkFactory,
)
from services.cj_assessment_service.workers.assessments import AssessmentWorker
from services.cj_assessment_service.workers.consumers import subscriptions
from services.cj_assessment_service.workers.runner import AssessmentRunner
from services.cj_assessment_service.workers.sweeper import StallSweeper

Judges = Mapping[JudgeKind, ComparisonJudge]


class UnitOfWorkProvider(Provider):
    scope = Scope.APP

    @provide
    def units_of_work(self, transactions: SqlTransactions, metrics: CJMetrics) -> UnitOfWorkFactory:
        return transactions.factory_of(AssessmentUnitOfWork, metrics)


class MetricsProvider(Provider):
    scope = Scope.APP

    @provide
    def metrics(self, registry: CollectorRegistry) -> CJMetrics:
        return CJMetrics(registry)


class DependenciesProvider(Provider):
    """The other services and the judges: the process's outbound HTTP."""

    scope = Scope.APP

    @provide
    async def credits(self, settings: Settings) -> AsyncIterator[CreditGateway]:
        client = create_service_client(
            settings,
            service_name=SERVICE_NAME,
            target_service="entitlements_service",
            base_url=settings.ENTITLEMENTS_URL,
        )
        yield EntitlementsClient(client, settings.COMPARISON_METRIC, settings.HOLD_TTL_SECONDS)
        await client.aclose()

    @provide
    async def content(self, settings: Settings) -> AsyncIterator[ContentSource]:
        client = create_service_client(
            settings,
            service_name=SERVICE_NAME,
            target_service="file_service",
            base_url=settings.FILE_SERVICE_URL,
        )
        yield FileContentClient(client)
        await client.aclose()

    @provide
    async def judges(self, settings: Settings) -> AsyncIterator[Judges]:
        http = httpx.AsyncClient(base_url=settings.LLM_BASE_URL.rstrip("/"))
        breaker = build_breaker(
            settings.LLM_BREAKER_THRESHOLD, settings.LLM_BREAKER_RECOVERY_SECONDS
        )
        simulated = SimulatedJudgeModel(
            settings.SIMULATED_JUDGE_SEED, settings.SIMULATED_JUDGE_POSITION_BIAS
        )
        yield {
            JudgeKind.LLM: LlmJudge(http, llm_config(settings), breaker),
            JudgeKind.SIMULATED: SimulatedJudge(
                simulated,
                declared_qualities(settings.SIMULATED_JUDGE_QUALITIES_FILE),
                settings.SIMULATED_JUDGE_DELAY_SECONDS,
            ),
        }
        await http.aclose()


def llm_config(settings: Settings) -> LlmJudgeConfig:
    return LlmJudgeConfig(
        base_url=settings.LLM_BASE_URL,
        model=settings.LLM_MODEL,
        api_key=settings.LLM_API_KEY,
        temperature=settings.LLM_TEMPERATURE,
        max_tokens=settings.LLM_MAX_TOKENS,
        timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
        max_attempts=settings.LLM_MAX_ATTEMPTS,
        backoff_base_seconds=settings.LLM_BACKOFF_BASE_SECONDS,
        backoff_max_seconds=settings.LLM_BACKOFF_MAX_SECONDS,
        concurrency=settings.LLM_CONCURRENCY,
    )


def design_settings(settings: Settings) -> DesignSettings:
    return DesignSettings(
        comparisons_per_essay=settings.COMPARISONS_PER_ESSAY,
        max_comparisons=settings.MAX_COMPARISONS_PER_BATCH,
        coverage_rounds=settings.COVERAGE_ROUNDS,
        adaptive_round_share=settings.ADAPTIVE_ROUND_SHARE,
        min_comparisons_per_essay=settings.MIN_COMPARISONS_PER_ESSAY,
        target_reliability=settings.TARGET_RELIABILITY,
        prior_sd=settings.PRIOR_SD,
    )


class RequestHandlersProvider(Provider):
    """Use cases of the HTTP API and the consumers."""

    scope = Scope.APP
    start = provide(StartBatchAssessment)
    on_request = provide(HandleAssessmentRequest)
    on_provisioned = provide(RecordProvisionedEssay)
    on_removed = provide(RecordRemovedEssay)
    queries = provide(AssessmentQueries)
    cancel = provide(CancelAssessment)

    @provide
    def factory(self, clock: Clock, settings: Settings) -> AssessmentFactory:
        kind = JudgeKind.LLM if settings.JUDGE is JudgeChoice.LLM else JudgeKind.SIMULATED
        defaults = AssessmentDefaults(
            design_settings(settings),
            kind,
            max_essays=settings.MAX_ESSAYS_PER_ASSESSMENT,
            max_anchors=settings.MAX_ANCHORS_PER_ASSESSMENT,
        )
        return AssessmentFactory(clock, defaults)

    @provide
    def anchors(self, uows: UnitOfWorkFactory, clock: Clock, settings: Settings) -> AnchorCatalogue:
        return AnchorCatalogue(uows, clock, settings.MAX_ANCHOR_TEXT_CHARS)


class RunnerProvider(Provider):
    """The steps that drive assessments (the worker process)."""

    scope = Scope.APP
    credit_steps = provide(CreditSteps)
    comparing = provide(ComparingSteps)
    scoring = provide(ScoringStep)
    runner = provide(AssessmentRunner)

    @provide
    def policy(self, settings: Settings) -> RunnerPolicy:
        return RunnerPolicy(
            comparison_max_attempts=settings.COMPARISON_MAX_ATTEMPTS,
            max_failed_share=settings.MAX_FAILED_SHARE,
            retry_delay_seconds=settings.RETRY_DELAY_SECONDS,
            authorization_wait_seconds=settings.AUTHORIZATION_WAIT_SECONDS,
            lease_seconds=settings.LEASE_SECONDS,
        )

    @provide
    def judging(
        self,
        uows: UnitOfWorkFactory,
        judges: Judges,
        clock: Clock,
        policy: RunnerPolicy,
        metrics: CJMetrics,
    ) -> RoundJudging:
        return RoundJudging(uows, judges, clock, policy, metrics)

    @provide
    def texts(self, uows: UnitOfWorkFactory, content: ContentSource) -> EssayTexts:
        return EssayTexts(uows, content)

    @provide
    def sweeper(
        self, uows: UnitOfWorkFactory, clock: Clock, settings: Settings, metrics: CJMetrics
    ) -> StallSweeper:
        return StallSweeper(uows, clock, settings.STALL_TIMEOUT_SECONDS, metrics=metrics)


class WorkerLoopProvider(Provider):
    """The worker process's loops: the assessment loop and the event consumer."""

    scope = Scope.APP

    @provide
    def assessment_loop(
        self,
        uows: UnitOfWorkFactory,
        runner: AssessmentRunner,
        sweeper: StallSweeper,
        clock: Clock,
        settings: Settings,
    ) -> AssessmentWorker:
        return AssessmentWorker(
            uows,
            runner,
            sweeper,
            clock,
            owner=f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}",
            concurrency=settings.RUNNER_CONCURRENCY,
            poll_seconds=settings.RUNNER_POLL_SECONDS,
            lease_seconds=settings.LEASE_SECONDS,
            sweep_seconds=settings.SWEEP_INTERVAL_SECONDS,
        )

    @provide
    def consumer(
        self,
        container: AsyncContainer,
        settings: Settings,
        bus: KafkaBus,
        registry: CollectorRegistry,
    ) -> EventConsumer:
        return EventConsumer(
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=settings.CONSUMER_GROUP_ID,
            handlers=dispatchers(container, subscriptions(settings)),
            dead_letter_bus=bus,
            registry=registry,
            tracer_provider=tracer_provider_for(settings),
        )


def service_providers() -> list[Provider]:
    return [
        MetricsProvider(),
        UnitOfWorkProvider(),
        DependenciesProvider(),
        RequestHandlersProvider(),
        RunnerProvider(),
    ]
