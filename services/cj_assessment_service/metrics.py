"""CJ's business metrics on the process's registry, provided by Dishka (`di.MetricsProvider`).

Comparisons and the judge are counted by `RoundJudging` once the answer is committed; state
transitions by the unit of work once the new state is committed; the current number of
assessments per state is read from the database by the worker's stall sweep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from common_core.domain_enums import CJBatchState, JudgeKind

JUDGE_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)


class ComparisonOutcome(StrEnum):
    JUDGED = "judged"  # a verdict stored
    INVALID = "invalid"  # an unusable answer: a failed attempt, asked again
    DROPPED = "dropped"  # the last attempt failed: the comparison is given up
    DEFERRED = "deferred"  # the judge was unavailable: left pending for later


class JudgeErrorReason(StrEnum):
    INVALID_ANSWER = "invalid_answer"
    UNAVAILABLE = "unavailable"


class CJMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.comparisons = Counter(
            "cj_comparisons",
            "Comparisons asked of a judge, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.judge_duration = Histogram(
            "cj_judge_duration_seconds",
            "Time a judge took to answer one comparison (failed answers included)",
            ["judge"],
            buckets=JUDGE_BUCKETS,
            registry=registry,
        )
        self.judge_errors = Counter(
            "cj_judge_errors",
            "Judge calls that gave no verdict, by reason",
            ["reason"],
            registry=registry,
        )
        self.assessments = Gauge(
            "cj_assessments",
            "Assessments per state, as last read from the database by a worker",
            ["state"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.transitions = Counter(
            "cj_assessment_transitions",
            "Assessments that entered a state (creation included), once committed",
            ["state"],
            registry=registry,
        )
        for outcome in ComparisonOutcome:
            self.comparisons.labels(outcome.value)
        for reason in JudgeErrorReason:
            self.judge_errors.labels(reason.value)
        for state in CJBatchState:
            self.transitions.labels(state.value)

    def judged(self, judge: JudgeKind, seconds: float) -> None:
        self.judge_duration.labels(judge.value).observe(seconds)

    def judge_failed(self, reason: JudgeErrorReason) -> None:
        self.judge_errors.labels(reason.value).inc()

    def compared(self, outcome: ComparisonOutcome) -> None:
        self.comparisons.labels(outcome.value).inc()

    def entered(self, states: Iterable[str]) -> None:
        for state in states:
            self.transitions.labels(CJBatchState(state).value).inc()

    def set_states(self, counts: Mapping[str, int]) -> None:
        for state in CJBatchState:
            self.assessments.labels(state.value).set(counts.get(state.value, 0))
