"""Typed service settings validated at start-up."""

from huleedu_service_libs.config.settings import (
    MIN_PRODUCTION_SECRET_LENGTH,
    PLACEHOLDER_SECRET,
    Environment,
    SecureServiceSettings,
    SettingsError,
    load_settings,
)

__all__ = [
    "MIN_PRODUCTION_SECRET_LENGTH",
    "PLACEHOLDER_SECRET",
    "Environment",
    "SecureServiceSettings",
    "SettingsError",
    "load_settings",
]
