from collections.abc import AsyncIterator

import pytest

from huleedu_service_libs.kafka import KafkaBus


@pytest.fixture
async def bus(kafka_bootstrap: str, kafka_supports_idempotence: bool) -> AsyncIterator[KafkaBus]:
    kafka_bus = KafkaBus(kafka_bootstrap, "test-bus", enable_idempotence=kafka_supports_idempotence)
    await kafka_bus.start()
    yield kafka_bus
    await kafka_bus.stop()
