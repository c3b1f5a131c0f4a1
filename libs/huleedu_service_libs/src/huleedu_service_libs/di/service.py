"""Who the process is, and the metrics registry it serves."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector


@dataclass(frozen=True)
class ServiceInfo:
    name: str


def new_registry() -> CollectorRegistry:
    """A process's registry, with the process, platform and garbage-collector collectors."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
