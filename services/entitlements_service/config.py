"""Settings (ENTITLEMENTS_SERVICE_*), validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common_core.events.registry import ProcessingEvent, topic_name
from huleedu_service_libs.config import SecureServiceSettings, host_database_url

SERVICE_NAME = "entitlements_service"
DEFAULT_POLICY_PATH = Path(__file__).parent / "policies" / "default.yaml"


class Settings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ENTITLEMENTS_SERVICE_", extra="ignore")

    DATABASE_URL: str = host_database_url(5438, "huleedu_entitlements")
    REDIS_URL: str = "redis://localhost:6379/0"
    HTTP_PORT: int = Field(default=8083, ge=1, le=65535)
    POLICY_PATH: Path = DEFAULT_POLICY_PATH
    # No ping per checkout (the base default): it would cost a round trip on every request.
    # Stale connections are recycled sooner instead; one that dies mid-request is a 503.
    DATABASE_MAX_OVERFLOW: int = Field(default=10, ge=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = Field(default=300, ge=1)
    # Bursts on one account queue for connections behind its row lock: wait as SQLAlchemy's
    # default did, rather than answer 503 after the base's 5 s.
    DATABASE_POOL_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    WORKER_METRICS_PORT: int = Field(default=8093, ge=0, le=65535)
    MAX_REQUEST_BYTES: int = Field(default=64 * 1024, ge=1024)
    MAX_BULK_REQUIREMENTS: int = Field(default=100, ge=1)
    HOLD_DEFAULT_TTL_SECONDS: int = Field(default=3600, gt=0)
    HOLD_MAX_TTL_SECONDS: int = Field(default=7 * 86400, gt=0)
    HOLD_EXPIRY_INTERVAL_SECONDS: float = Field(default=30.0, gt=0)
    HOLD_EXPIRY_BATCH_SIZE: int = Field(default=200, ge=1)
    LEDGER_PAGE_MAX: int = Field(default=200, ge=1)
    RATE_LIMITS_ENABLED: bool = True
    CONSUMER_GROUP_ID: str = "entitlements_service.resource_consumption"
    RESOURCE_CONSUMPTION_TOPIC: str = topic_name(ProcessingEvent.RESOURCE_CONSUMPTION)
