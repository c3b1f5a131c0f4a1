from pathlib import Path

from huleedu_service_libs.testing.migrations import MigrationChainTests
from services.file_service.models_db import migration_metadata


class TestMigrations(MigrationChainTests):
    service_dir = Path(__file__).parents[2]
    metadata = migration_metadata()
    tables = frozenset({"file_batches", "file_uploads", "content_blobs", "event_outbox"})
