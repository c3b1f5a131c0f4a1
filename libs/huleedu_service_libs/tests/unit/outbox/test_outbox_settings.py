"""Settings per environment, and the backoff they drive."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from huleedu_service_libs.config.settings import Environment
from huleedu_service_libs.outbox.settings import (
    OutboxSettings,
    backoff_seconds,
    outbox_settings_for,
)


def test_each_environment_has_its_own_defaults_and_overrides_win() -> None:
    production = outbox_settings_for(Environment.PRODUCTION)
    testing = outbox_settings_for(Environment.TESTING, batch_size=7)
    assert production.retention_hours == 168.0
    assert testing.retention_hours < production.retention_hours
    assert testing.backoff_base_seconds < production.backoff_base_seconds
    assert (testing.batch_size, production.batch_size) == (7, 1000)


def test_a_backoff_cap_below_its_base_is_refused() -> None:
    with pytest.raises(ValidationError, match="backoff_max_seconds"):
        OutboxSettings(backoff_base_seconds=10, backoff_max_seconds=1)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        outbox_settings_for(Environment.DEVELOPMENT, batchsize=10)


@given(
    attempts=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=10),
    cap_factor=st.floats(min_value=1, max_value=1000),
    seed=st.integers(),
)
def test_backoff_doubles_per_attempt_up_to_the_cap_with_jitter_below_it(
    attempts: int, base: float, cap_factor: float, seed: int
) -> None:
    settings = OutboxSettings(backoff_base_seconds=base, backoff_max_seconds=base * cap_factor)
    ceiling = min(base * 2.0 ** (attempts - 1), settings.backoff_max_seconds)
    delay = backoff_seconds(attempts, settings, random.Random(seed))
    assert ceiling / 2 <= delay < ceiling


def test_jitter_spreads_retries_of_the_same_attempt() -> None:
    settings = OutboxSettings()
    rng = random.Random(1)
    assert len({backoff_seconds(3, settings, rng) for _ in range(20)}) == 20
