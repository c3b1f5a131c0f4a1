"""The collector settings a service process applies, checked in a fresh interpreter (the test
process's own collector is left alone)."""

from __future__ import annotations

import subprocess
import sys

from huleedu_service_libs.gc_tuning import FIRST_GENERATION_THRESHOLD

SCRIPT = """
import gc
from huleedu_service_libs.gc_tuning import tune_garbage_collector
default = gc.get_threshold()
tune_garbage_collector()
print(default[0], *gc.get_threshold(), gc.get_freeze_count())
"""


def test_a_tuned_process_collects_less_often_and_keeps_its_start_up_objects_out() -> None:
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    default, first, second, third, frozen = map(int, output.split())
    assert (first, second, third) == (FIRST_GENERATION_THRESHOLD, 10, 10)
    assert first > default
    assert frozen > 1000  # the modules imported so far
