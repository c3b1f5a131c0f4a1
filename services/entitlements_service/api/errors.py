"""What is this service's own in error handling: refusals are counted by error code."""

from __future__ import annotations

from quart import Response

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.error_handling import domain_error_response
from services.entitlements_service.domain.errors import EntitlementsError
from services.entitlements_service.metrics import EntitlementsMetrics


def register_refusal_metrics(app: HuleEduApp) -> None:
    async def count_refusal(error: EntitlementsError) -> Response:
        metrics = await app.container.get(EntitlementsMetrics)
        metrics.refusals.labels(str(error.code)).inc()
        return await domain_error_response(error)

    app.register_error_handler(EntitlementsError, count_refusal)
