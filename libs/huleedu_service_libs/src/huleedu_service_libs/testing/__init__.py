"""Pytest plugin: real PostgreSQL, Redis and Kafka for tests."""
