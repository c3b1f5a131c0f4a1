from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.config import SecureServiceSettings, host_database_url, load_settings

SERVICE_NAME = "class_management_service"


class Settings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLASS_MANAGEMENT_SERVICE_")

    DATABASE_URL: str = host_database_url(5436, "huleedu_class_management")
    REDIS_URL: str = "redis://localhost:6379/2"
    HTTP_PORT: int = 5002

    # The pool (DATABASE_POOL_*, per process) is SecureServiceSettings'; see the README's
    # scaling section before raising it.

    MAX_IMPORT_BYTES: int = Field(default=2_000_000, gt=0)
    MAX_IMPORT_ROWS: int = Field(default=10_000, gt=0)
    NOTIFICATION_TIMEOUT_SECONDS: float = Field(default=0.5, gt=0)

    WORKER_METRICS_PORT: int = Field(default=5003, ge=0, le=65535)  # the worker's /metrics
    CONSUMER_GROUP_ID: str = "class_management_service"
    # Tests point the consumer at a private topic; production uses the registry topic.
    AUTHOR_MATCHES_TOPIC: str = topic_name(ProcessingEvent.BATCH_AUTHOR_MATCHES_SUGGESTED)

    ASSOCIATION_TIMEOUT_HOURS: float = Field(default=24.0, gt=0)
    ASSOCIATION_CHECK_INTERVAL_SECONDS: float = Field(default=3600.0, gt=0)
    ASSOCIATION_CONFIDENCE_THRESHOLD: float = Field(default=0.7, ge=0, le=1)
    ASSOCIATION_MONITOR_BATCH_LIMIT: int = Field(default=100, gt=0)


def load_service_settings(**overrides: object) -> Settings:
    return load_settings(Settings, **overrides)
