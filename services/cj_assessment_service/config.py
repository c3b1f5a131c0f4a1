"""Settings, validated at start-up (environment variables prefixed CJ_ASSESSMENT_SERVICE_)."""

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.config import SecureServiceSettings, host_database_url, load_settings

SERVICE_NAME = "cj_assessment_service"


class JudgeChoice(StrEnum):
    LLM = "llm"
    SIMULATED = "simulated"


class Settings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CJ_ASSESSMENT_SERVICE_")

    DATABASE_URL: str = host_database_url(5437, "huleedu_cj_assessment")
    REDIS_URL: str = "redis://localhost:6379/3"
    HTTP_PORT: int = 9095
    # A worker holds pooled connections through long LLM rounds: check them before use.
    DATABASE_POOL_PRE_PING: bool = True
    MAX_REQUEST_BYTES: int = Field(default=2_000_000, gt=0)

    # Other services, reached only through their HTTP APIs.
    ENTITLEMENTS_URL: str = "http://localhost:8083"
    FILE_SERVICE_URL: str = "http://localhost:7001"
    COMPARISON_METRIC: str = "cj_comparison"
    HOLD_TTL_SECONDS: int = Field(default=6 * 3600, gt=0)

    # The judge: "simulated" (deterministic, for development, demos and benchmarks) or "llm".
    JUDGE: JudgeChoice = JudgeChoice.SIMULATED
    LLM_BASE_URL: str = "https://api.openai.com/v1"
    LLM_MODEL: str = "gpt-4o-mini"
    LLM_API_KEY: SecretStr = SecretStr("")
    LLM_TEMPERATURE: float = Field(default=0.0, ge=0.0, le=2.0)
    LLM_MAX_TOKENS: int = Field(default=400, gt=0)
    LLM_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    LLM_MAX_ATTEMPTS: int = Field(default=3, ge=1)
    LLM_BACKOFF_BASE_SECONDS: float = Field(default=1.0, ge=0)
    LLM_BACKOFF_MAX_SECONDS: float = Field(default=30.0, ge=0)
    LLM_CONCURRENCY: int = Field(default=8, ge=1)
    LLM_BREAKER_THRESHOLD: int = Field(default=5, ge=1)
    LLM_BREAKER_RECOVERY_SECONDS: float = Field(default=30.0, gt=0)
    SIMULATED_JUDGE_SEED: int = 0
    SIMULATED_JUDGE_POSITION_BIAS: float = 0.0
    # Seconds each simulated judgement waits, standing in for an LLM's latency (0: answer at once).
    SIMULATED_JUDGE_DELAY_SECONDS: float = Field(default=0.0, ge=0, le=60)
    # A JSON object {"<a text's opening words>": latent quality in logits} for the simulated judge
    # (the demo's essays and anchors: scripts/demo_data/simulated_qualities.json); other texts
    # get a quality from surface features.
    SIMULATED_JUDGE_QUALITIES_FILE: Path | None = None

    # The comparison design and the stopping rule.
    COMPARISONS_PER_ESSAY: int = Field(default=10, ge=1, le=100)
    MAX_COMPARISONS_PER_BATCH: int = Field(default=2000, ge=1)
    MIN_COMPARISONS_PER_ESSAY: int = Field(default=5, ge=0)
    TARGET_RELIABILITY: float = Field(default=0.8, gt=0, le=1)
    COVERAGE_ROUNDS: int = Field(default=2, ge=1)
    ADAPTIVE_ROUND_SHARE: float = Field(default=0.5, gt=0, le=1)
    # Unset: the cohort's spread is inferred from the judgements (honest for any cohort). A number
    # fixes the prior sd of the abilities instead, as assessments made before this did.
    PRIOR_SD: float | None = Field(default=None, gt=0)
    MAX_ESSAYS_PER_ASSESSMENT: int = Field(default=500, ge=2)
    MAX_ANCHORS_PER_ASSESSMENT: int = Field(default=30, ge=0)
    MAX_ANCHOR_TEXT_CHARS: int = Field(default=50_000, gt=0)
    # A comparison is tried this often before it is dropped; a batch fails when more than this
    # share of its comparisons failed.
    COMPARISON_MAX_ATTEMPTS: int = Field(default=2, ge=1)
    MAX_FAILED_SHARE: float = Field(default=0.5, gt=0, le=1)

    # The worker: its own /metrics port (the library's default is shared by every worker), how
    # it finds work, how long a claim lasts, when an assessment counts as stalled.
    WORKER_METRICS_PORT: int = Field(default=9096, ge=0, le=65535)
    RUNNER_POLL_SECONDS: float = Field(default=1.0, gt=0)
    RUNNER_CONCURRENCY: int = Field(default=4, ge=1)
    LEASE_SECONDS: float = Field(default=60.0, gt=0)
    RETRY_DELAY_SECONDS: float = Field(default=5.0, gt=0)
    AUTHORIZATION_WAIT_SECONDS: float = Field(default=60.0, gt=0)
    STALL_TIMEOUT_SECONDS: float = Field(default=1800.0, gt=0)
    SWEEP_INTERVAL_SECONDS: float = Field(default=60.0, gt=0)

    CONSUMER_GROUP_ID: str = SERVICE_NAME
    # Tests point the consumers at private topics; production uses the registry's topics.
    REQUEST_TOPIC: str = topic_name(ProcessingEvent.ELS_CJ_ASSESSMENT_REQUESTED)
    CONTENT_PROVISIONED_TOPIC: str = topic_name(ProcessingEvent.ESSAY_CONTENT_PROVISIONED)
    FILE_REMOVED_TOPIC: str = topic_name(ProcessingEvent.BATCH_FILE_REMOVED)


def load_service_settings(**overrides: object) -> Settings:
    return load_settings(Settings, **overrides)
