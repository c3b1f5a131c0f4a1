"""HuleEdu services, each importable as services.<name>_service."""
