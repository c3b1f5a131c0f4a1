from huleedu_service_libs.config import load_settings
from huleedu_service_libs.migrations import run_alembic_migrations
from services.entitlements_service.config import Settings
from services.entitlements_service.models_db import migration_metadata

run_alembic_migrations(
    migration_metadata(), default_url=lambda: load_settings(Settings).DATABASE_URL
)
