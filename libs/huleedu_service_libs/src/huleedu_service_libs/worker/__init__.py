"""The worker runtime: one supervisor for a process's loops, with /metrics and liveness."""

from huleedu_service_libs.worker.jobs import Job, job_of
from huleedu_service_libs.worker.probe import ProbeServer
from huleedu_service_libs.worker.process import serve_worker, worker_main
from huleedu_service_libs.worker.runtime import (
    WorkerLoopEndedError,
    supervise,
)

__all__ = [
    "Job",
    "ProbeServer",
    "WorkerLoopEndedError",
    "job_of",
    "serve_worker",
    "supervise",
    "worker_main",
]
