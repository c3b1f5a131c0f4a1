from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import create_async_engine

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat
from common_core.events.codec import new_envelope
from common_core.events.file import EssayContentProvisionedV1
from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.engines import build_engine
from huleedu_service_libs.testing.probes import SqlProbe
from services.cj_assessment_service.app import create_app
from services.cj_assessment_service.config import Settings, load_service_settings
from services.cj_assessment_service.handlers.essays import RecordProvisionedEssay
from services.cj_assessment_service.startup_setup import build_worker_container
from services.cj_assessment_service.tests.support.fake_llm import FakeLlm
from services.cj_assessment_service.tests.support.fake_services import (
    INTERNAL_KEY,
    FakeEntitlements,
    FakeFileService,
)
from services.cj_assessment_service.tests.support.servers import serving
from services.cj_assessment_service.workers.assessments import AssessmentWorker

SERVICE_DIR = Path(__file__).parents[2]
TEACHER = "teacher-1"


@dataclass
class Externals:
    entitlements: FakeEntitlements
    files: FakeFileService
    llm: FakeLlm
    urls: dict[str, str]


@pytest.fixture
async def externals() -> AsyncIterator[Externals]:
    entitlements, files, llm = FakeEntitlements(), FakeFileService(), FakeLlm()
    async with serving(entitlements.app) as e, serving(files.app) as f, serving(llm.app) as m:
        yield Externals(
            entitlements, files, llm, {"ENTITLEMENTS_URL": e, "FILE_SERVICE_URL": f, "LLM": m}
        )


@pytest.fixture
def service_dir() -> Path:
    return SERVICE_DIR


@pytest.fixture
def settings(
    infrastructure_settings: dict[str, Any],
    externals: Externals,
    settings_overrides: dict[str, Any],
) -> Settings:
    values: dict[str, Any] = infrastructure_settings | {
        "INTERNAL_API_KEY": INTERNAL_KEY,
        "ENTITLEMENTS_URL": externals.urls["ENTITLEMENTS_URL"],
        "FILE_SERVICE_URL": externals.urls["FILE_SERVICE_URL"],
        "LLM_BASE_URL": externals.urls["LLM"] + "/v1",
        "LLM_API_KEY": "sk-test",
        "LLM_BACKOFF_BASE_SECONDS": 0.01,
        "LLM_TIMEOUT_SECONDS": 2.0,
        "COMPARISONS_PER_ESSAY": 6,
        "MIN_COMPARISONS_PER_ESSAY": 3,
        "RETRY_DELAY_SECONDS": 0.2,
        "RUNNER_POLL_SECONDS": 0.05,
    }
    return load_service_settings(**(values | settings_overrides))


Database = SqlProbe


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    engine = create_async_engine(database_url)
    yield Database(engine)
    await engine.dispose()


@dataclass
class Worker:
    container: AsyncContainer
    externals: Externals

    async def drain(self) -> int:
        worker = await self.container.get(AssessmentWorker)
        return await worker.drain()

    async def finish(self, db: Database, assessment_id: str, timeout: float = 60.0) -> None:
        """Drains until the assessment has ended and settled (pauses included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.drain()
            settled = await db.scalar(
                "SELECT credits_settled_at IS NOT NULL OR (state IN ('completed', 'failed', "
                "'cancelled') AND authorization_id IS NULL) FROM assessments WHERE id = :a",
                a=assessment_id,
            )
            if settled:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"assessment {assessment_id} did not finish in {timeout} s")

    async def provision(
        self,
        qualities: list[float],
        owner: str = TEACHER,
        course: CourseCode = CourseCode.ENG6,
        batch_id: UUID | None = None,
    ) -> UUID:
        """Essays of the given qualities provisioned into a new batch, or into `batch_id`."""
        batch_id = batch_id or uuid4()
        handler = await self.container.get(RecordProvisionedEssay)
        for index, quality in enumerate(qualities):
            storage_id = f"text-{uuid4()}"
            self.externals.files.texts[storage_id] = f"Essay {index}. It has quality {quality}."
            await handler(provisioned(batch_id, owner, course, storage_id, index))
        return batch_id


def provisioned(batch_id: UUID, owner: str, course: CourseCode, storage_id: str, index: int) -> Any:
    payload = EssayContentProvisionedV1(
        batch_id=batch_id,
        file_upload_id=uuid4(),
        owner_user_id=owner,
        course_code=course,
        original_file_name=f"essay-{index}.txt",
        file_format=FileFormat.TXT,
        raw_file_storage_id=f"raw-{storage_id}",
        text_storage_id=storage_id,
        file_size_bytes=100,
        file_md5="0" * 32,
        text_char_count=40,
    )
    return new_envelope(payload, source_service="file_service", correlation_id=uuid4())


@pytest.fixture
async def worker(settings: Settings, externals: Externals) -> AsyncIterator[Worker]:
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    yield Worker(container, externals)
    await container.close()
    await engine.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[HuleEduApp]:
    application = create_app(settings)
    async with application.test_app():
        yield application


def teacher(user: str = TEACHER, **extra: str) -> dict[str, str]:
    return {"X-User-ID": user, "X-Correlation-ID": "corr-test-1", **extra}
