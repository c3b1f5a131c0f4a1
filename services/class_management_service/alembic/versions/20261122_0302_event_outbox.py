"""The shared event_outbox table, created by the outbox library's helper.

Revision ID: 20261122_0302
Revises: 20261122_0301
Create Date: 2026-11-22 03:02:00+00:00
"""

from collections.abc import Sequence

from huleedu_service_libs.outbox.migration import (
    create_event_outbox_table,
    drop_event_outbox_table,
)

revision: str = "20261122_0302"
down_revision: str | None = "20261122_0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The library's helpers are this revision's steps, so every service's outbox table is the same.
upgrade = create_event_outbox_table
downgrade = drop_event_outbox_table
