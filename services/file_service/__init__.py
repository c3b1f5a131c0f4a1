"""file_service."""
