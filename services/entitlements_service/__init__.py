"""entitlements_service."""
