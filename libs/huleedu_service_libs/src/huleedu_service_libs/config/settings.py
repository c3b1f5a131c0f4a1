from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"
MIN_PRODUCTION_SECRET_LENGTH = 16
# One new trace in ten: recording every request cost 30-40% (benchmarks/RESULTS.md, observability).
PRODUCTION_TRACE_SAMPLE_RATIO = 0.1


def host_database_url(port: int, database: str) -> str:
    """A database of docker-compose.infrastructure.yml as a process on the host reaches it."""
    return f"postgresql+asyncpg://huleedu_user:local-only-password@localhost:{port}/{database}"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


def _sample_ratio_for(fields: dict[str, Any]) -> float:
    """`0.1` (PRODUCTION_TRACE_SAMPLE_RATIO) in production, else `1.0`"""
    if fields.get("ENVIRONMENT") == Environment.PRODUCTION:
        return PRODUCTION_TRACE_SAMPLE_RATIO
    return 1.0


class BaseServiceSettings(BaseSettings):
    """Every process's settings but the database's: the base of SecureServiceSettings, and the
    settings of a process without a database (the API gateway). Subclasses set `env_prefix`."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    ENVIRONMENT: Environment = Environment.DEVELOPMENT
    LOG_LEVEL: str = "INFO"
    # auto: coloured console lines only on a terminal in development, JSON lines otherwise.
    LOG_FORMAT: Literal["auto", "json", "console"] = "auto"
    # The defaults reach docker-compose.infrastructure.yml from the host; a service sets its
    # own DATABASE_URL (its database's host port) and REDIS_URL (its Redis database).
    REDIS_URL: str = "redis://localhost:6379/0"
    KAFKA_BOOTSTRAP_SERVERS: str = "localhost:9094"
    # Off against the Tansu test broker, which lacks InitProducerId.
    KAFKA_ENABLE_IDEMPOTENCE: bool = True
    INTERNAL_API_KEY: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    ADMIN_API_KEY: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Teacher ids (X-User-ID, X-Org-ID) count only with the API gateway's signature over them;
    # unset: required in production only. The gateway signs with the same secret.
    GATEWAY_IDENTITY_REQUIRED: bool | None = None
    GATEWAY_SIGNING_SECRET: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    GATEWAY_SIGNATURE_MAX_AGE_SECONDS: float = Field(default=30.0, gt=0, le=300)
    HTTP_CLIENT_TIMEOUT_SECONDS: float = 10.0
    HEALTH_CHECK_TIMEOUT_SECONDS: float = 2.0
    CIRCUIT_BREAKER_FAILURE_THRESHOLD: int = 5
    CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS: float = 30.0
    # The HTTP server: a service sets its own port.
    HTTP_HOST: str = "0.0.0.0"
    HTTP_PORT: int = Field(default=8000, ge=1, le=65535)
    HTTP_WORKERS: int = Field(default=1, ge=1, le=16)  # server processes, each with its own pool
    # Commands on the shared Redis client; the relay's blocking wake-up wait has its own client.
    REDIS_SOCKET_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    # The worker process's /metrics and /healthz (port 0: any free port).
    WORKER_METRICS_HOST: str = "0.0.0.0"
    WORKER_METRICS_PORT: int = Field(default=9100, ge=0, le=65535)
    WORKER_DRAIN_SECONDS: float = Field(default=30.0, gt=0)
    # OpenTelemetry traces, exported over OTLP/HTTP (the collector's base URL, e.g.
    # http://otel-collector:4318). Off: no tracer provider, no instrumentation, nothing recorded.
    TRACING_ENABLED: bool = False
    TRACING_OTLP_ENDPOINT: str | None = None
    # The share of new traces recorded; a request that arrives inside a trace follows its caller.
    TRACING_SAMPLE_RATIO: float = Field(default_factory=_sample_ratio_for, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_variables(cls, data: Any) -> Any:
        given = set(data) if isinstance(data, Mapping) else set()
        problems = unknown_variables(cls, os.environ, given)
        if problems:
            raise SettingsError(
                f"environment variables {cls.__module__}.{cls.__name__} would ignore "
                "(refused so that a typo does not start the service on a default):\n"
                + "\n".join(problems)
            )
        return data

    @field_validator("INTERNAL_API_KEY", "ADMIN_API_KEY")
    @classmethod
    def _refuse_weak_secret_in_production(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("ENVIRONMENT") != Environment.PRODUCTION:
            return value
        return _real_secret(value)

    @field_validator("GATEWAY_SIGNING_SECRET")
    @classmethod
    def _refuse_weak_signing_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        # Required in production unless GATEWAY_IDENTITY_REQUIRED is false.
        if info.data.get("ENVIRONMENT") != Environment.PRODUCTION:
            return value
        if info.data.get("GATEWAY_IDENTITY_REQUIRED") is False:
            return value
        return _real_secret(value)

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT is Environment.PRODUCTION

    @property
    def gateway_identity_required(self) -> bool:
        if self.GATEWAY_IDENTITY_REQUIRED is None:
            return self.is_production
        return self.GATEWAY_IDENTITY_REQUIRED


class SecureServiceSettings(BaseServiceSettings):
    """Base for every service's settings; subclasses set `env_prefix` (e.g. "FILE_SERVICE_")."""

    DATABASE_URL: str
    # The connection pool: one name for each setting in every service.
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1)
    DATABASE_MAX_OVERFLOW: int = Field(default=5, ge=0)
    DATABASE_POOL_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = Field(default=1800, ge=-1)
    DATABASE_POOL_PRE_PING: bool = False
    # PgBouncer in transaction mode: no prepared statements cached across transactions.
    DATABASE_BEHIND_TRANSACTION_POOLER: bool = False


def _real_secret(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if secret == PLACEHOLDER_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
        raise ValueError(
            f"must be set to a real secret of at least {MIN_PRODUCTION_SECRET_LENGTH} "
            "characters in production (the placeholder is refused)"
        )
    return value


class SettingsError(RuntimeError):
    """Start-up configuration is invalid; the message names each bad environment variable."""


# Names other documents use; each is answered with what this code reads instead.
# Only the database URL: a shell may well export REDIS_URL or KAFKA_BOOTSTRAP_SERVERS for other
# tools, and refusing to start over those would be a trap of its own.
_UNPREFIXED_NAMES = ("DATABASE_URL",)
_RETIRED_SETTINGS = {
    "USE_MOCK_REPOSITORY": (
        "there is no mock repository: the service always uses PostgreSQL, and tests get a real "
        "database from the huleedu_service_libs.testing plugin"
    ),
    "CIRCUIT_BREAKER_ENABLED": (
        "the circuit breakers are always on; tune {prefix}CIRCUIT_BREAKER_FAILURE_THRESHOLD and "
        "{prefix}CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS"
    ),
    "DB_POOL_SIZE": "set {prefix}DATABASE_POOL_SIZE",
    "DB_MAX_OVERFLOW": "set {prefix}DATABASE_MAX_OVERFLOW",
    "DB_POOL_TIMEOUT": "set {prefix}DATABASE_POOL_TIMEOUT_SECONDS",
    "DB_POOL_RECYCLE": "set {prefix}DATABASE_POOL_RECYCLE_SECONDS",
}


def unknown_variables(
    settings_class: type[BaseServiceSettings],
    environment: Mapping[str, str],
    given: Collection[str] = (),
) -> list[str]:
    """One line for each variable of the environment the settings class would silently ignore."""
    prefix = str(settings_class.model_config.get("env_prefix", "")).upper()
    if not prefix:
        return []
    fields = list(settings_class.model_fields)
    problems = []
    for name in sorted(key.upper() for key in environment):
        if name.startswith(prefix) and name.removeprefix(prefix) not in fields:
            problems.append(f"  {name}: {_advice(prefix, name.removeprefix(prefix), fields)}")
        elif name in _UNPREFIXED_NAMES and name in fields and name not in given:
            problems.append(f"  {name}: not read by this service; set {prefix}{name}")
    return problems


def _advice(prefix: str, setting: str, fields: list[str]) -> str:
    if setting in _RETIRED_SETTINGS:
        return "not a setting: " + _RETIRED_SETTINGS[setting].format(prefix=prefix)
    closest = difflib.get_close_matches(setting, fields, n=1, cutoff=0.6)
    if closest:
        return f"not a setting; did you mean {prefix}{closest[0]}?"
    return "not a setting (docs/settings.md lists them)"


SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)


def load_settings(settings_class: type[SettingsT], **overrides: object) -> SettingsT:
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_readable(settings_class, error)) from None


def _readable(settings_class: type[BaseServiceSettings], error: ValidationError) -> str:
    prefix = settings_class.model_config.get("env_prefix", "")
    problems = [
        f"  {prefix}{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
        for issue in error.errors(include_input=False)
    ]
    return f"invalid configuration for {settings_class.__name__}:\n" + "\n".join(problems)
