"""The production container builds, and every use case resolves from it."""

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.config import SettingsError
from services.cj_assessment_service.config import Settings, load_service_settings
from services.cj_assessment_service.handlers.anchors import AnchorCatalogue
from services.cj_assessment_service.handlers.cancel import CancelAssessment
from services.cj_assessment_service.handlers.essays import RecordProvisionedEssay
from services.cj_assessment_service.handlers.queries import AssessmentQueries
from services.cj_assessment_service.handlers.requests import (
    HandleAssessmentRequest,
    StartBatchAssessment,
)
from services.cj_assessment_service.startup_setup import build_container, build_worker_container
from services.cj_assessment_service.workers.assessments import AssessmentWorker
from services.cj_assessment_service.workers.runner import AssessmentRunner
from services.cj_assessment_service.workers.sweeper import StallSweeper

URL = "postgresql+asyncpg://user:pw@127.0.0.1:1/none"


@pytest.mark.parametrize("http", [True, False])
async def test_the_production_container_resolves_every_use_case(http: bool) -> None:
    settings = load_service_settings(DATABASE_URL=URL)
    engine = create_async_engine(URL)
    container = (
        build_container(settings, engine) if http else build_worker_container(settings, engine)
    )
    try:
        wanted: list[type] = [
            StartBatchAssessment,
            HandleAssessmentRequest,
            RecordProvisionedEssay,
            AssessmentQueries,
            CancelAssessment,
            AnchorCatalogue,
            AssessmentRunner,
            StallSweeper,
        ]
        if not http:
            wanted.append(AssessmentWorker)
        for kind in wanted:
            assert isinstance(await container.get(kind), kind)
    finally:
        await container.close()
        await engine.dispose()


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(SettingsError):
        load_service_settings(DATABASE_URL=URL, ENVIRONMENT="production")


def test_defaults_match_the_platform() -> None:
    settings = Settings(DATABASE_URL=URL)
    assert settings.HTTP_PORT == 9095
    assert settings.WORKER_METRICS_PORT == 9096
    assert settings.DATABASE_POOL_PRE_PING is True
    assert settings.COMPARISONS_PER_ESSAY == 10
    assert settings.TARGET_RELIABILITY == 0.8
    assert settings.model_config["env_prefix"] == "CJ_ASSESSMENT_SERVICE_"
