import pytest

from huleedu_service_libs.testing.databases import run_alembic
from huleedu_service_libs.testing.migrations import MigrationChainTests
from services.entitlements_service.models_db import migration_metadata
from services.entitlements_service.tests.support.paths import SERVICE_DIR


class TestMigrations(MigrationChainTests):
    service_dir = SERVICE_DIR
    metadata = migration_metadata()
    tables = frozenset(
        {
            "credit_balances",
            "credit_ledger",
            "credit_authorizations",
            "admin_audit_log",
            "processed_events",
            "event_outbox",
        }
    )


@pytest.mark.integration
def test_the_chain_has_the_expected_head() -> None:
    heads = run_alembic(SERVICE_DIR, "postgresql+asyncpg://unused/unused", "heads")
    assert [line for line in heads.splitlines() if line.strip()] == ["20261207_1615 (head)"]
