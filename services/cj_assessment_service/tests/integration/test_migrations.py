from pathlib import Path

from huleedu_service_libs.testing.migrations import MigrationChainTests
from services.cj_assessment_service.models_db import schema_metadata


class TestMigrations(MigrationChainTests):
    service_dir = Path(__file__).parents[2]
    metadata = schema_metadata()
    tables = frozenset(
        {
            "anchors",
            "assessment_essays",
            "assessments",
            "comparison_rounds",
            "comparisons",
            "essay_scores",
            "essays",
            "grade_projections",
            "judge_statistics",
            "processed_events",
            "event_outbox",
        }
    )
