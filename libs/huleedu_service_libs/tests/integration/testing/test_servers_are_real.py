"""The harness hands out real servers: these talk to them the way services will."""

from __future__ import annotations

import asyncpg
import pytest
import redis.asyncio as redis_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from huleedu_service_libs.testing.embedded import EmbeddedRedis
from huleedu_service_libs.testing.kafka_topics import KafkaTopics
from huleedu_service_libs.testing.servers import PostgresEndpoint

pytestmark = pytest.mark.integration


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_postgres_is_a_real_server(fresh_database_url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(fresh_database_url))
    try:
        version = await connection.fetchval("SELECT version()")
    finally:
        await connection.close()
    assert version.startswith("PostgreSQL ")


async def _insert_then_fail(connection: asyncpg.Connection) -> None:
    async with connection.transaction():
        await connection.execute("INSERT INTO ledger VALUES (10)")
        raise ZeroDivisionError


async def test_postgres_rolls_back_a_transaction(fresh_database_url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(fresh_database_url))
    try:
        await connection.execute("CREATE TABLE ledger (amount integer NOT NULL)")
        with pytest.raises(ZeroDivisionError):
            await _insert_then_fail(connection)
        assert await connection.fetchval("SELECT count(*) FROM ledger") == 0
    finally:
        await connection.close()


async def test_fresh_databases_are_private(
    fresh_database_url: str, postgres_server: PostgresEndpoint
) -> None:
    other = await asyncpg.connect(postgres_server.admin_dsn)
    try:
        names = await other.fetch("SELECT datname FROM pg_database")
    finally:
        await other.close()
    database = fresh_database_url.rsplit("/", 1)[1]
    assert database in {row["datname"] for row in names}
    assert database not in postgres_server.admin_dsn


async def test_redis_is_a_real_server(redis_url: str) -> None:
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        info = await client.info("server")
        await client.set("answer", "42")
        stored = await client.get("answer")
    finally:
        await client.aclose()
    assert info["redis_version"]
    assert stored == b"42"


async def test_each_test_gets_an_empty_redis_database(redis_url: str) -> None:
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
    finally:
        await client.aclose()


async def test_private_redis_can_be_stopped_and_started(
    private_redis_server: EmbeddedRedis,
) -> None:
    client = redis_asyncio.Redis.from_url(private_redis_server.url)
    try:
        assert await client.ping()
        private_redis_server.stop()
        with pytest.raises(redis_asyncio.ConnectionError):
            await client.ping()
        private_redis_server.start()
        assert await client.ping()
    finally:
        await client.aclose()


async def test_kafka_round_trip(
    kafka_topics: KafkaTopics, kafka_supports_idempotence: bool
) -> None:
    topic = await kafka_topics.create("roundtrip", partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_topics.bootstrap,
        acks="all",
        enable_idempotence=kafka_supports_idempotence,
    )
    await producer.start()
    try:
        for number in range(3):
            await producer.send_and_wait(
                topic, f"event-{number}".encode(), key=b"essay-1", headers=[("event_id", b"x")]
            )
    finally:
        await producer.stop()
    records = await kafka_topics.read(topic, count=3)
    assert [record.value for record in records] == [b"event-0", b"event-1", b"event-2"]
    assert {record.partition for record in records} == {records[0].partition}
    assert records[0].headers == (("event_id", b"x"),)


async def _group_consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await consumer.start()
    return consumer


@pytest.mark.slow
async def test_consumer_group_resumes_after_committed_offsets(kafka_topics: KafkaTopics) -> None:
    topic = await kafka_topics.create("group")
    group = kafka_topics.unique("group")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_topics.bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for number in range(4):
            await producer.send_and_wait(topic, f"m{number}".encode(), key=b"k")
    finally:
        await producer.stop()

    first = await _group_consumer(kafka_topics.bootstrap, topic, group)
    try:
        consumed = [(await first.getone()).value for _ in range(2)]
        await first.commit()
    finally:
        await first.stop()

    restarted = await _group_consumer(kafka_topics.bootstrap, topic, group)
    try:
        resumed = [(await restarted.getone()).value for _ in range(2)]
    finally:
        await restarted.stop()
    assert consumed == [b"m0", b"m1"]
    assert resumed == [b"m2", b"m3"]
