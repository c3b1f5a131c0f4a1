"""Typed service settings validated at start-up."""

from huleedu_service_libs.config.settings import (
    PLACEHOLDER_SECRET,
    PRODUCTION_TRACE_SAMPLE_RATIO,
    BaseServiceSettings,
    Environment,
    SecureServiceSettings,
    SettingsError,
    host_database_url,
    load_settings,
)

__all__ = [
    "PLACEHOLDER_SECRET",
    "PRODUCTION_TRACE_SAMPLE_RATIO",
    "BaseServiceSettings",
    "Environment",
    "SecureServiceSettings",
    "SettingsError",
    "host_database_url",
    "load_settings",
]
