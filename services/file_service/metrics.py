"""The file service's own Prometheus metrics (HTTP and outbox metrics come from the libraries)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

EXTRACTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class FileMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.files_accepted = Counter(
            "file_service_files_accepted",
            "Uploaded files accepted for processing",
            ["file_format"],
            registry=registry,
        )
        self.uploads_refused = Counter(
            "file_service_uploads_refused",
            "Upload requests refused before anything was stored",
            ["error_code"],
            registry=registry,
        )
        self.files_processed = Counter(
            "file_service_files_processed",
            "Files brought to their final status",
            ["file_format", "outcome"],
            registry=registry,
        )
        self.extraction_seconds = Histogram(
            "file_service_extraction_seconds",
            "Time to extract, normalise and validate one document",
            ["file_format"],
            buckets=EXTRACTION_BUCKETS,
            registry=registry,
        )
        self.files_released = Counter(
            "file_service_files_released",
            "Claims given back because extraction was unavailable",
            registry=registry,
        )
