from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from huleedu_service_libs.testing.probes import SqlProbe
from services.file_service.app import create_app
from services.file_service.config import Settings, load_file_settings
from services.file_service.di import WorkerProvider
from services.file_service.domain.limits import DocumentLimits
from services.file_service.handlers.locking import LockBatch
from services.file_service.handlers.processing import ProcessFiles
from services.file_service.implementations.extraction import InlineExtractor
from services.file_service.protocols import TextExtractor
from services.file_service.startup_setup import build_container

SERVICE_DIR = Path(__file__).parents[2]
INTERNAL_KEY = "internal-key-for-the-tests"
TEACHER = "teacher-1"


@pytest.fixture
def service_dir() -> Path:
    return SERVICE_DIR


@pytest.fixture
def settings(
    infrastructure_settings: dict[str, Any], tmp_path: Path, settings_overrides: dict[str, Any]
) -> Settings:
    values: dict[str, Any] = infrastructure_settings | {
        "INTERNAL_API_KEY": INTERNAL_KEY,
        "CONTENT_STORE_DIR": tmp_path / "content",
        "WORKER_METRICS_HOST": "127.0.0.1",
        "WORKER_METRICS_PORT": 0,  # an in-process worker's probe on any free port
    }
    return load_file_settings(**(values | settings_overrides))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@dataclass
class Database(SqlProbe):
    async def counts(self) -> tuple[int, int, int]:
        """Files, content blobs and outbox rows: what a refusal must leave untouched."""
        return (
            await self.scalar("SELECT count(*) FROM file_uploads"),
            await self.scalar("SELECT count(*) FROM content_blobs"),
            await self.scalar("SELECT count(*) FROM event_outbox"),
        )

    async def outbox(self) -> list[Any]:
        return await self.rows(
            "SELECT event_type, aggregate_id, event_key, event_data::text AS data "
            "FROM event_outbox ORDER BY seq"
        )


@pytest.fixture
def database(engine: AsyncEngine) -> Database:
    return Database(engine)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.test_app():
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://file") as client:
            yield client


class InlineExtraction(Provider):
    scope = Scope.APP

    @provide
    def extractor(self, limits: DocumentLimits) -> TextExtractor:
        return InlineExtractor(limits)


@pytest.fixture
async def worker_container(
    engine: AsyncEngine, settings: Settings
) -> AsyncIterator[AsyncContainer]:
    """The worker's use cases as production wires them, with extraction in a thread."""
    claims_of_50 = settings.model_copy(update={"PROCESSING_CONCURRENCY": 50})
    container = build_container(
        claims_of_50, engine, WorkerProvider(), InlineExtraction(), http=False
    )
    yield container
    await container.close()


@pytest.fixture
async def process_files(worker_container: AsyncContainer) -> ProcessFiles:
    return await worker_container.get(ProcessFiles)


def teacher(user: str = TEACHER, correlation: str = "test-correlation") -> dict[str, str]:
    return {"X-User-ID": user, "X-Correlation-ID": correlation}


async def new_batch(client: httpx.AsyncClient, user: str = TEACHER) -> str:
    body = {"title": "Autumn essays", "course_code": "ENG5"}
    response = await client.post("/v1/files/batch", json=body, headers=teacher(user))
    assert response.status_code == 201, response.text
    return str(response.json()["batch_id"])


@pytest.fixture
async def lock_batch(worker_container: AsyncContainer) -> LockBatch:
    return await worker_container.get(LockBatch)
