from dishka import Provider, Scope, provide

from huleedu_service_libs.correlation.context import CorrelationContext
from huleedu_service_libs.correlation.scope import require_correlation


class CorrelationProvider(Provider):
    """Gives the context activated by the HTTP middleware or by the consumer runtime."""

    @provide(scope=Scope.REQUEST)
    def correlation_context(self) -> CorrelationContext:
        return require_correlation()
