from huleedu_service_libs.migrations import run_alembic_migrations
from services.file_service.config import load_file_settings
from services.file_service.models_db import migration_metadata

run_alembic_migrations(migration_metadata(), default_url=lambda: load_file_settings().DATABASE_URL)
