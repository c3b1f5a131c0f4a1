"""cj_assessment_service."""
