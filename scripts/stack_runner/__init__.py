"""The local stack: PostgreSQL, Redis and Kafka (embedded or external) and every service."""
