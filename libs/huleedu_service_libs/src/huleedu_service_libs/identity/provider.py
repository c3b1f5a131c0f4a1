from __future__ import annotations

from dishka import Provider, Scope, provide
from quart import Request

from huleedu_service_libs.config import BaseServiceSettings
from huleedu_service_libs.identity.caller import Caller
from huleedu_service_libs.identity.headers import GatewayTrust, read_caller


class IdentityProvider(Provider):
    """The request's `Caller`; needs `QuartProvider` for the request and the settings' keys."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        super().__init__()
        self._internal_key = settings.INTERNAL_API_KEY
        self._admin_key = settings.ADMIN_API_KEY
        self._gateway = (
            GatewayTrust(
                settings.GATEWAY_SIGNING_SECRET, settings.GATEWAY_SIGNATURE_MAX_AGE_SECONDS
            )
            if settings.gateway_identity_required
            else None
        )

    @provide(scope=Scope.REQUEST)
    def caller(self, request: Request) -> Caller:
        return read_caller(request, self._internal_key, self._admin_key, self._gateway)
