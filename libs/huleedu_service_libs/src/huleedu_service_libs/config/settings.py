from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"
MIN_PRODUCTION_SECRET_LENGTH = 16


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


class SecureServiceSettings(BaseSettings):
    """Base for every service's settings; subclasses set `env_prefix` (e.g. "FILE_SERVICE_")."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    ENVIRONMENT: Environment = Environment.DEVELOPMENT
    LOG_LEVEL: str = "INFO"
    DATABASE_URL: str
    REDIS_URL: str = "redis://localhost:6379/0"
    KAFKA_BOOTSTRAP_SERVERS: str = "localhost:9092"
    # Off against the Tansu test broker, which lacks InitProducerId.
    KAFKA_ENABLE_IDEMPOTENCE: bool = True
    INTERNAL_API_KEY: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    ADMIN_API_KEY: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    HTTP_CLIENT_TIMEOUT_SECONDS: float = 10.0
    HEALTH_CHECK_TIMEOUT_SECONDS: float = 2.0
    CIRCUIT_BREAKER_FAILURE_THRESHOLD: int = 5
    CIRCUIT_BREAKER_RECOVERY_TIMEOUT_SECONDS: float = 30.0
    # The HTTP server: a service sets its own port.
    HTTP_HOST: str = "0.0.0.0"
    HTTP_PORT: int = Field(default=8000, ge=1, le=65535)
    HTTP_WORKERS: int = Field(default=1, ge=1, le=16)  # server processes, each with its own pool
    # The connection pool: one name for each setting in every service.
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1)
    DATABASE_MAX_OVERFLOW: int = Field(default=5, ge=0)
    DATABASE_POOL_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = Field(default=1800, ge=-1)
    DATABASE_POOL_PRE_PING: bool = False
    # PgBouncer in transaction mode: no prepared statements cached across transactions.
    DATABASE_BEHIND_TRANSACTION_POOLER: bool = False
    # Commands on the shared Redis client; the relay's blocking wake-up wait has its own client.
    REDIS_SOCKET_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    # The worker process's /metrics and /healthz (port 0: any free port).
    WORKER_METRICS_HOST: str = "0.0.0.0"
    WORKER_METRICS_PORT: int = Field(default=9100, ge=0, le=65535)
    WORKER_DRAIN_SECONDS: float = Field(default=30.0, gt=0)

    @field_validator("INTERNAL_API_KEY", "ADMIN_API_KEY")
    @classmethod
    def _refuse_weak_secret_in_production(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("ENVIRONMENT") != Environment.PRODUCTION:
            return value
        secret = value.get_secret_value()
        if secret == PLACEHOLDER_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise ValueError(
                f"must be set to a real secret of at least {MIN_PRODUCTION_SECRET_LENGTH} "
                "characters in production (the placeholder is refused)"
            )
        return value

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT is Environment.PRODUCTION


class SettingsError(RuntimeError):
    """Start-up configuration is invalid; the message names each bad environment variable."""


SettingsT = TypeVar("SettingsT", bound=SecureServiceSettings)


def load_settings(settings_class: type[SettingsT], **overrides: object) -> SettingsT:
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_readable(settings_class, error)) from None


def _readable(settings_class: type[SecureServiceSettings], error: ValidationError) -> str:
    prefix = settings_class.model_config.get("env_prefix", "")
    problems = [
        f"  {prefix}{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
        for issue in error.errors(include_input=False)
    ]
    return f"invalid configuration for {settings_class.__name__}:\n" + "\n".join(problems)
