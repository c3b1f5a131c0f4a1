"""class_management_service."""
