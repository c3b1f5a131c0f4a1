"""Add the shared transactional outbox table (huleedu_service_libs.outbox)

Revision ID: 0002_event_outbox
Revises: 0001_file_service_tables
Create Date: 2026-11-22 03:10:00 UTC
"""

from collections.abc import Sequence

from huleedu_service_libs.outbox.migration import (
    create_event_outbox_table,
    drop_event_outbox_table,
)

revision: str = "0002_event_outbox"
down_revision: str | None = "0001_file_service_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The library's helpers are this revision's steps, so every service's outbox table is the same.
upgrade = create_event_outbox_table
downgrade = drop_event_outbox_table
