"""The production containers build and resolve every handler; a bad policy stops start-up."""

from pathlib import Path

import pytest

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.engines import build_engine
from services.entitlements_service.app import create_app
from services.entitlements_service.config import Settings
from services.entitlements_service.domain.policy import PolicyError
from services.entitlements_service.handlers.admin import Admin
from services.entitlements_service.handlers.consumption import ConsumeCredits
from services.entitlements_service.handlers.holds import Authorizations
from services.entitlements_service.handlers.preflight import CheckCredits
from services.entitlements_service.handlers.queries import TeacherQueries
from services.entitlements_service.handlers.reported_usage import ChargeReportedUsage
from services.entitlements_service.startup_setup import build_worker_container

URL = "postgresql+asyncpg://nobody:nothing@127.0.0.1:1/none"


async def test_the_http_container_resolves_every_handler() -> None:
    app = create_app(Settings(DATABASE_URL=URL))
    assert isinstance(app, HuleEduApp)
    for handler in (ConsumeCredits, CheckCredits, Authorizations, Admin, TeacherQueries):
        assert isinstance(await app.container.get(handler), handler)
    await app.container.close()
    await app.database_engine.dispose()


async def test_the_worker_container_resolves_its_handler() -> None:
    settings = Settings(DATABASE_URL=URL)
    engine = build_engine(settings)
    container = build_worker_container(settings, engine)
    assert isinstance(await container.get(ChargeReportedUsage), ChargeReportedUsage)
    await container.close()
    await engine.dispose()


def test_an_invalid_policy_stops_start_up_naming_the_entry(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: '1'\nmetrics:\n  cj_comparison: {cost_per_unit: -1}\n")
    with pytest.raises(PolicyError, match=r"metrics\.cj_comparison\.cost_per_unit"):
        create_app(Settings(DATABASE_URL=URL, POLICY_PATH=policy))


async def test_an_unreachable_database_is_a_503_error_detail_not_a_crash() -> None:
    settings = Settings(
        DATABASE_URL=URL, REDIS_URL="redis://127.0.0.1:1/0", INTERNAL_API_KEY="k" * 20
    )
    app = create_app(settings)
    async with app.test_app():
        response = await app.test_client().post(
            "/internal/v1/entitlements/consume-credits",
            json={"user_id": "u", "metric": "cj_comparison", "quantity": 1, "idempotency_key": "k"},
            headers={"X-Internal-API-Key": "k" * 20, "X-Correlation-ID": "down-1"},
        )
        detail = await response.get_json()
    assert response.status_code == 503
    assert (detail["error_code"], detail["original_correlation_id"]) == (
        "SERVICE_UNAVAILABLE",
        "down-1",
    )
