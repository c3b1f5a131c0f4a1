from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.config import SecureServiceSettings, load_settings

SERVICE_NAME = "class_management_service"


class Settings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLASS_MANAGEMENT_SERVICE_")

    DATABASE_URL: str = (
        "postgresql+asyncpg://huleedu:huleedu@localhost:5432/huleedu_class_management"
    )
    HTTP_HOST: str = "0.0.0.0"
    HTTP_PORT: int = 5002
    HTTP_WORKERS: int = Field(default=1, ge=1, le=16)  # server processes, each with its own pool

    # Connection pool per process (see the README's scaling section before raising these).
    DB_POOL_SIZE: int = Field(default=10, ge=1)
    DB_MAX_OVERFLOW: int = Field(default=5, ge=0)
    DB_POOL_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    DB_POOL_RECYCLE_SECONDS: int = Field(default=1800, ge=-1)
    # A ping is one more round trip per checkout; a dropped connection is already answered
    # with a 503 and replaced, so the ping is off unless a network drops idle connections.
    DB_POOL_PRE_PING: bool = False
    # PgBouncer in transaction mode cannot keep asyncpg's server-side prepared statements.
    DB_BEHIND_TRANSACTION_POOLER: bool = False

    MAX_IMPORT_BYTES: int = Field(default=2_000_000, gt=0)
    MAX_IMPORT_ROWS: int = Field(default=10_000, gt=0)
    NOTIFICATION_TIMEOUT_SECONDS: float = Field(default=0.5, gt=0)

    WORKER_METRICS_PORT: int | None = None  # /metrics of the worker process, when set
    CONSUMER_GROUP_ID: str = "class_management_service"
    # Tests point the consumer at a private topic; production uses the registry topic.
    AUTHOR_MATCHES_TOPIC: str = topic_name(ProcessingEvent.BATCH_AUTHOR_MATCHES_SUGGESTED)

    ASSOCIATION_TIMEOUT_HOURS: float = Field(default=24.0, gt=0)
    ASSOCIATION_CHECK_INTERVAL_SECONDS: float = Field(default=3600.0, gt=0)
    ASSOCIATION_CONFIDENCE_THRESHOLD: float = Field(default=0.7, ge=0, le=1)
    ASSOCIATION_MONITOR_BATCH_LIMIT: int = Field(default=100, gt=0)


def load_service_settings(**overrides: object) -> Settings:
    return load_settings(Settings, **overrides)
