"""The garbage collector's settings for a service process, applied once its start-up is done.

CPython collects after every 700 net allocations of container objects (lists, tuples, records,
dataclass instances), and every hundredth collection walks every object in the process. The
relay allocates several containers per event: with the defaults it collected ~500 times per
50,000 events, 0.43-0.53 s of collector time, a third of its CPU (benchmarks/RESULTS.md,
"Earlier runs of `bench-outbox`").
What exists when start-up is done (modules, the app, the container) lives as long as the
process, so it is frozen out of the collections; the first generation is collected every
10,000 allocations.
"""

from __future__ import annotations

import gc

FIRST_GENERATION_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """For a service's main (HTTP worker, worker, relay); not for test processes or libraries."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)
