"""The production containers build (Dishka validates the whole graph) and give every handler."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.config import SettingsError
from services.file_service.config import ContentStoreKind, load_file_settings
from services.file_service.handlers.batches import BatchQueries, CreateBatch
from services.file_service.handlers.content import ReadContent
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.locking import LockBatch, OnAssessmentStarted
from services.file_service.handlers.processing import ProcessingPolicy
from services.file_service.handlers.uploads import UploadEssays
from services.file_service.startup_setup import build_container, build_worker_container

HANDLERS = (
    CreateBatch,
    BatchQueries,
    UploadEssays,
    DeleteFile,
    ReadContent,
    LockBatch,
    OnAssessmentStarted,
)
NO_SERVER = "postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none"  # never connected to


@pytest.mark.parametrize("store", list(ContentStoreKind))
async def test_the_api_container_gives_every_handler(
    store: ContentStoreKind, tmp_path: Path
) -> None:
    settings = load_file_settings(
        DATABASE_URL=NO_SERVER, CONTENT_STORE=store, CONTENT_STORE_DIR=tmp_path
    )
    engine = create_async_engine(settings.DATABASE_URL)
    container = build_container(settings, engine)
    try:
        for handler in HANDLERS:
            assert isinstance(await container.get(handler), handler)
    finally:
        await container.close()
        await engine.dispose()


async def test_the_worker_container_builds_with_its_settings() -> None:
    settings = load_file_settings(
        DATABASE_URL=NO_SERVER,
        PROCESSING_LEASE_SECONDS=42,
        EXTRACTION_TIMEOUT_SECONDS=30,
        PROCESSING_MAX_ATTEMPTS=5,
    )
    engine = create_async_engine(settings.DATABASE_URL)
    container = build_worker_container(settings, engine)
    try:
        policy = await container.get(ProcessingPolicy)
        assert (policy.lease_seconds, policy.max_attempts) == (42, 5)
    finally:
        await container.close()
        await engine.dispose()


def test_production_refuses_the_placeholder_internal_key() -> None:
    with pytest.raises(SettingsError, match="FILE_SERVICE_INTERNAL_API_KEY"):
        load_file_settings(DATABASE_URL=NO_SERVER, ENVIRONMENT="production")


def test_limits_must_be_positive() -> None:
    with pytest.raises(SettingsError, match="FILE_SERVICE_MAX_FILE_BYTES"):
        load_file_settings(DATABASE_URL=NO_SERVER, MAX_FILE_BYTES=0)


def test_a_lease_shorter_than_an_extraction_is_refused() -> None:
    with pytest.raises(SettingsError, match="PROCESSING_LEASE_SECONDS must exceed"):
        load_file_settings(
            DATABASE_URL=NO_SERVER, PROCESSING_LEASE_SECONDS=10, EXTRACTION_TIMEOUT_SECONDS=10
        )


def test_a_wake_up_wait_as_long_as_the_redis_timeout_is_refused() -> None:
    with pytest.raises(SettingsError, match="WORKER_POLL_INTERVAL_SECONDS must be below"):
        load_file_settings(
            DATABASE_URL=NO_SERVER, WORKER_POLL_INTERVAL_SECONDS=5, REDIS_SOCKET_TIMEOUT_SECONDS=5
        )
