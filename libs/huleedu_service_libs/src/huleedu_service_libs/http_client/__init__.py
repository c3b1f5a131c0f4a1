"""Service-to-service HTTP: timeouts, internal API key, correlation propagation, circuit breaker."""

from huleedu_service_libs.http_client.client import (
    ServiceClient,
    create_service_client,
)

__all__ = ["ServiceClient", "create_service_client"]
