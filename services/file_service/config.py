from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from common_core.events.cj import CJAssessmentStartedV1
from common_core.events.registry import spec_for_payload
from huleedu_service_libs.config import SecureServiceSettings, host_database_url, load_settings

SERVICE_NAME = "file_service"
MEGABYTE = 1024 * 1024


class ContentStoreKind(StrEnum):
    DATABASE = "database"
    DIRECTORY = "directory"


class Settings(SecureServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FILE_SERVICE_", extra="ignore")

    DATABASE_URL: str = host_database_url(5439, "huleedu_file_service")
    REDIS_URL: str = "redis://localhost:6379/1"
    # Checked before use: the worker's pooled connections outlive PostgreSQL restarts.
    DATABASE_POOL_PRE_PING: bool = True
    HTTP_PORT: int = 7001
    WORKER_METRICS_PORT: int = Field(default=7002, ge=0, le=65535)

    MAX_FILE_BYTES: int = Field(default=10 * MEGABYTE, ge=1)
    MAX_FILES_PER_REQUEST: int = Field(default=20, ge=1)
    MAX_REQUEST_BYTES: int = Field(default=60 * MEGABYTE, ge=1)
    MAX_DOCX_UNCOMPRESSED_BYTES: int = Field(default=50 * MEGABYTE, ge=1)
    MAX_DOCX_ENTRIES: int = Field(default=2000, ge=1)
    MAX_PDF_PAGES: int = Field(default=500, ge=1)
    MIN_TEXT_CHARS: int = Field(default=50, ge=0)
    MAX_TEXT_CHARS: int = Field(default=50_000, ge=1)

    CONTENT_STORE: ContentStoreKind = ContentStoreKind.DATABASE
    CONTENT_STORE_DIR: Path = Path("var/file_service/content")

    EXTRACTION_PROCESSES: int = Field(default=2, ge=1)
    EXTRACTION_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    EXTRACTION_MEMORY_LIMIT_BYTES: int = Field(default=1024 * MEGABYTE, ge=64 * MEGABYTE)
    # Background work yields the CPU to the API: the worker runs niced, its extraction more so.
    WORKER_NICENESS: int = Field(default=5, ge=0, le=19)
    EXTRACTION_NICENESS: int = Field(default=10, ge=0, le=19)
    PROCESSING_LEASE_SECONDS: float = Field(default=180.0, gt=0)
    PROCESSING_MAX_ATTEMPTS: int = Field(default=3, ge=1)
    # Files in flight in one worker; above the pool size, so a document is always queued.
    PROCESSING_CONCURRENCY: int = Field(default=6, ge=1)
    WORKER_POLL_INTERVAL_SECONDS: float = Field(default=1.0, gt=0)
    WORK_WAKE_KEY: str = "file_service:work:wake"
    # Each real-time notification (ws:{user_id}) is waited for at most this long.
    NOTIFICATION_TIMEOUT_SECONDS: float = Field(default=0.5, gt=0)

    LOCK_CONSUMER_GROUP: str = "file_service.batch_lock"
    ASSESSMENT_STARTED_TOPIC: str = spec_for_payload(CJAssessmentStartedV1).topic

    @model_validator(mode="after")
    def _lease_outlasts_an_extraction(self) -> Settings:
        # An expired lease is safe (the late outcome is dropped) but wastes the work done.
        if self.PROCESSING_LEASE_SECONDS <= self.EXTRACTION_TIMEOUT_SECONDS:
            raise ValueError("PROCESSING_LEASE_SECONDS must exceed EXTRACTION_TIMEOUT_SECONDS")
        return self

    @model_validator(mode="after")
    def _wake_up_wait_within_the_redis_timeout(self) -> Settings:
        # The idle worker waits for a wake-up in BLPOP on the shared Redis client; a wait longer
        # than the client's socket timeout would fail every time and fall back to sleeping.
        if self.WORKER_POLL_INTERVAL_SECONDS >= self.REDIS_SOCKET_TIMEOUT_SECONDS:
            raise ValueError(
                "WORKER_POLL_INTERVAL_SECONDS must be below REDIS_SOCKET_TIMEOUT_SECONDS"
            )
        return self


def load_file_settings(**overrides: object) -> Settings:
    return load_settings(Settings, **overrides)
