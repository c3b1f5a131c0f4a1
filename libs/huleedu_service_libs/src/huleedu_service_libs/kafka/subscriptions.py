"""Typed consumer registration: topic -> payload model (from the common_core registry) ->
handler. The runtime checks the payload's type once, here, so no handler checks it by hand, and
each event gets its own DI request scope (one unit of work per event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from dishka import AsyncContainer
from prometheus_client import CollectorRegistry

from common_core.events.base import EventPayload
from common_core.events.envelope import EventEnvelope
from common_core.events.registry import spec_for_payload
from huleedu_service_libs.config import SecureServiceSettings
from huleedu_service_libs.kafka.bus import KafkaBus
from huleedu_service_libs.kafka.consumer import EventConsumer, Handler, RetryPolicy
from huleedu_service_libs.observability.tracing import tracer_provider_for

P = TypeVar("P", bound=EventPayload)


class EventHandler(Protocol[P]):
    def __call__(self, envelope: EventEnvelope[P]) -> Awaitable[None]: ...


class UnexpectedPayloadError(TypeError):
    """A record on a subscribed topic carried another payload type: it is dead-lettered."""


@dataclass(frozen=True)
class Subscription(Generic[P]):
    """`handler` is resolved from the container in a request scope for every event."""

    payload: type[P]
    handler: type[EventHandler[P]] | Any
    topic: str = ""

    def __post_init__(self) -> None:
        if not self.topic:
            object.__setattr__(self, "topic", spec_for_payload(self.payload).topic)

    def dispatcher(self, container: AsyncContainer) -> Handler:
        async def dispatch(envelope: EventEnvelope[Any]) -> None:
            if not isinstance(envelope.data, self.payload):
                got = type(envelope.data).__name__
                raise UnexpectedPayloadError(f"{self.topic} expects {self.payload.__name__}: {got}")
            async with container() as request:
                handler: EventHandler[P] = await request.get(self.handler)
                await handler(envelope)

        return dispatch


def dispatchers(
    container: AsyncContainer, subscriptions: Sequence[Subscription[Any]]
) -> dict[str, Callable[[EventEnvelope[Any]], Awaitable[None]]]:
    topics = [subscription.topic for subscription in subscriptions]
    if len(set(topics)) != len(topics):
        raise ValueError(f"a topic is subscribed twice: {sorted(topics)}")
    return {s.topic: s.dispatcher(container) for s in subscriptions}


async def subscribed_consumer(
    container: AsyncContainer,
    group_id: str,
    subscriptions: Sequence[Subscription[Any]],
    retry: RetryPolicy | None = None,
) -> EventConsumer:
    """The worker's consumer: dead letters through the worker's bus, metrics on its registry."""
    settings = await container.get(SecureServiceSettings)
    return EventConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=group_id,
        handlers=dispatchers(container, subscriptions),
        dead_letter_bus=await container.get(KafkaBus),
        registry=await container.get(CollectorRegistry),
        retry=retry,
        tracer_provider=tracer_provider_for(settings),
    )
