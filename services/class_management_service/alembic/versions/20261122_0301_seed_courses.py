"""Course reference data: ENG5, ENG6, ENG7, SV1, SV2, SV3.

The rows are written out here, not read from common_core at migration time, so this revision
always inserts what it inserted when it was written. A test checks them against CourseCode.

Revision ID: 20261122_0301
Revises: 20261122_0300
Create Date: 2026-11-22 03:01:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261122_0301"
down_revision: str | None = "20261122_0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COURSES = [
    {"code": "ENG5", "name": "English 5", "language": "en", "level": 5},
    {"code": "ENG6", "name": "English 6", "language": "en", "level": 6},
    {"code": "ENG7", "name": "English 7", "language": "en", "level": 7},
    {"code": "SV1", "name": "Svenska 1", "language": "sv", "level": 1},
    {"code": "SV2", "name": "Svenska 2", "language": "sv", "level": 2},
    {"code": "SV3", "name": "Svenska 3", "language": "sv", "level": 3},
]

courses = sa.table(
    "courses",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("language", sa.String),
    sa.column("level", sa.SmallInteger),
)


def upgrade() -> None:
    op.bulk_insert(courses, COURSES)


def downgrade() -> None:
    op.execute(courses.delete().where(courses.c.code.in_([row["code"] for row in COURSES])))
