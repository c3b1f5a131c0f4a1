"""The outbox call shapes of seeds 001 and 003, written exactly as the seeds write them, on a real
PostgreSQL and Redis: each writes only in the caller's transaction, or is refused with a message
that names the form to use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common_core.courses import CourseCode
from common_core.domain_enums import CJStopReason, FileFormat, JudgeKind
from common_core.events.cj import CJAssessmentCompletedV1
from common_core.events.codec import new_envelope
from common_core.events.envelope import EventEnvelope
from common_core.events.errors import InvalidEventError, UnknownTopicError
from common_core.events.file import EssayContentProvisionedV1
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.outbox import NotInTransactionError, OutboxManager, RelayWakeup, wake_key
from huleedu_service_libs.outbox.models import EventOutbox
from huleedu_service_libs.outbox.repository import OutboxRepositoryProtocol, SqlOutboxRepository
from huleedu_service_libs.outbox.writer import EnvelopeMismatchError

pytestmark = pytest.mark.integration
SERVICE = "cj_assessment_service"
CJ_COMPLETED = "huleedu.cj.assessment.completed.v1"


class BusinessRuleBroken(Exception):
    pass


@dataclass(frozen=True)
class FileServiceSettings:
    ESSAY_CONTENT_PROVISIONED_TOPIC: str = "huleedu.file.essay.content_provisioned.v1"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def cj_completed(correlation: str = "corr123") -> EventEnvelope[CJAssessmentCompletedV1]:
    payload = CJAssessmentCompletedV1(
        assessment_id=uuid4(),
        batch_id=uuid4(),
        user_id="teacher-1",
        essay_count=12,
        comparisons_completed=60,
        reliability=0.82,
        stop_reason=CJStopReason.RELIABILITY_REACHED,
        judge_kind=JudgeKind.SIMULATED,
    )
    correlation_id = CorrelationContext.from_header(correlation).uuid
    return new_envelope(payload, source_service=SERVICE, correlation_id=correlation_id)


def essay_provisioned() -> EssayContentProvisionedV1:
    return EssayContentProvisionedV1(
        batch_id=uuid4(),
        file_upload_id=uuid4(),
        owner_user_id="teacher-1",
        course_code=CourseCode.ENG5,
        original_file_name="essay.txt",
        file_format=FileFormat.TXT,
        raw_file_storage_id="raw-1",
        text_storage_id="text-1",
        file_size_bytes=120,
        file_md5="0" * 32,
        text_char_count=100,
    )


async def stored_rows(engine: AsyncEngine) -> list[EventOutbox]:
    async with async_sessionmaker(engine)() as session:
        return list((await session.scalars(select(EventOutbox).order_by(EventOutbox.seq))).all())


async def wake_ups(redis: Redis, wakeup: RelayWakeup) -> int:
    await wakeup.flush()
    return int(await redis.llen(wake_key(SERVICE)))


async def test_the_seed_import_path_is_the_shared_model(engine: AsyncEngine) -> None:
    from huleedu_service_libs.outbox.model import EventOutbox as SharedModel

    assert EventOutbox is SharedModel
    assert EventOutbox.__tablename__ == "event_outbox"
    assert await stored_rows(engine) == []


async def test_seed_001s_call_on_a_manager_without_a_session_names_the_bound_form(
    engine: AsyncEngine,
) -> None:
    manager = OutboxManager(wakeup=None)
    envelope = cj_completed()
    with pytest.raises(NotInTransactionError, match=r"bound_to\(session\)"):
        await manager.publish_to_outbox(
            aggregate_type="cj_batch",
            aggregate_id="batch123",
            event_type="CJAssessmentCompletedV1",
            event_data=envelope,
            topic="huleedu.cj.assessment.completed.v1",
            correlation_id="corr123",
        )
    assert await stored_rows(engine) == []


async def test_seed_001s_class_name_as_event_type_is_refused_naming_the_envelopes(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    envelope = cj_completed()
    async with sessions() as session, session.begin():
        manager = OutboxManager(wakeup=None).bound_to(session)
        with pytest.raises(EnvelopeMismatchError, match=CJ_COMPLETED):
            await manager.publish_to_outbox(
                aggregate_type="cj_batch",
                aggregate_id="batch123",
                event_type="CJAssessmentCompletedV1",
                event_data=envelope,
                topic="huleedu.cj.assessment.completed.v1",
                correlation_id="corr123",
            )
    assert await stored_rows(engine) == []


async def test_seed_001s_call_on_a_bound_manager_commits_with_the_caller_and_wakes_after(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], redis: Redis
) -> None:
    wakeup = RelayWakeup(redis, SERVICE)
    envelope = cj_completed("corr123")
    async with sessions() as session:
        async with session.begin():
            await session.execute(text("INSERT INTO orders (label) VALUES ('batch123')"))
            manager = OutboxManager(wakeup).bound_to(session)
            await manager.publish_to_outbox(
                aggregate_type="cj_batch",
                aggregate_id="batch123",
                event_type=envelope.event_type,
                event_data=envelope,
                topic="huleedu.cj.assessment.completed.v1",
                correlation_id="corr123",
            )
            assert await wake_ups(redis, wakeup) == 0  # not before the commit
        assert await wake_ups(redis, wakeup) == 1
    [row] = await stored_rows(engine)
    assert (row.aggregate_type, row.aggregate_id, row.event_key) == (
        "cj_batch",
        "batch123",
        "batch123",
    )
    assert (row.event_type, row.topic) == (CJ_COMPLETED, CJ_COMPLETED)
    assert row.event_data == envelope.model_dump(mode="json")


async def test_a_bound_managers_rollback_leaves_no_row_and_sends_no_wake_up(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], redis: Redis
) -> None:
    wakeup = RelayWakeup(redis, SERVICE)
    envelope = cj_completed()
    async with sessions() as session:  # no explicit begin: the write opens the transaction
        manager = OutboxManager(wakeup).bound_to(session)
        await manager.publish_to_outbox(
            aggregate_type="cj_batch",
            aggregate_id="batch123",
            event_type=envelope.event_type,
            event_data=envelope,
            topic="huleedu.cj.assessment.completed.v1",
            correlation_id=envelope.correlation_id,
        )
        await session.rollback()
    assert await stored_rows(engine) == []
    assert await wake_ups(redis, wakeup) == 0


async def test_a_correlation_id_other_than_the_envelopes_is_refused(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        manager = OutboxManager(wakeup=None).bound_to(session)
        with pytest.raises(EnvelopeMismatchError, match="correlation_id 'corr456'"):
            await manager.publish_to_outbox(
                aggregate_type="cj_batch",
                aggregate_id="batch123",
                event_data=cj_completed("corr123"),
                topic="huleedu.cj.assessment.completed.v1",
                correlation_id="corr456",
            )
    assert await stored_rows(engine) == []


async def test_a_bound_manager_refuses_another_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as bound_session, sessions() as other:
        manager = OutboxManager(wakeup=None).bound_to(bound_session)
        with pytest.raises(NotInTransactionError, match="bound to another session"):
            await manager.publish_to_outbox(
                other, aggregate_type="cj_batch", aggregate_id="b", event_data=cj_completed()
            )


async def test_seed_003s_add_event_stores_the_decoded_envelope_in_the_callers_transaction(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], redis: Redis
) -> None:
    wakeup = RelayWakeup(redis, SERVICE)
    settings = FileServiceSettings()
    event_data = essay_provisioned()
    envelope = new_envelope(event_data, source_service="file_service", correlation_id=uuid4())
    async with sessions() as session:
        async with session.begin():
            outbox_repository: OutboxRepositoryProtocol = SqlOutboxRepository(session, wakeup)
            await outbox_repository.add_event(
                aggregate_id=event_data.file_upload_id,
                aggregate_type="file_upload",
                event_type=settings.ESSAY_CONTENT_PROVISIONED_TOPIC,
                event_data=envelope.model_dump(mode="json"),  # Pydantic V2 serialization
                topic=settings.ESSAY_CONTENT_PROVISIONED_TOPIC,
                event_key=event_data.file_upload_id,
            )
            assert await wake_ups(redis, wakeup) == 0
        assert await wake_ups(redis, wakeup) == 1
    [row] = await stored_rows(engine)
    assert row.aggregate_id == row.event_key == str(event_data.file_upload_id)
    assert row.topic == settings.ESSAY_CONTENT_PROVISIONED_TOPIC
    assert row.event_data == envelope.model_dump(mode="json")


async def _positional_add_event_then_fail(
    sessions: async_sessionmaker[AsyncSession], envelope: EventEnvelope[Any]
) -> None:
    async with sessions() as session, session.begin():
        repository = SqlOutboxRepository(session)
        await repository.add_event(
            "cj_batch", "batch123", envelope.event_type, envelope.model_dump(mode="json")
        )
        assert await session.scalar(text("SELECT count(*) FROM event_outbox")) == 1
        raise BusinessRuleBroken


async def test_seed_001s_positional_add_event_rolls_back_with_the_caller(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises(BusinessRuleBroken):
        await _positional_add_event_then_fail(sessions, cj_completed())
    assert await stored_rows(engine) == []


def _without_required_field(envelope: EventEnvelope[Any]) -> dict[str, Any]:
    data = envelope.model_dump(mode="json")
    del data["data"]["batch_id"]
    return data


@pytest.mark.parametrize(
    ("event_type", "mangle", "refusal"),
    [
        (CJ_COMPLETED, _without_required_field, InvalidEventError),
        ("CJAssessmentCompletedV1", lambda e: e.model_dump(mode="json"), EnvelopeMismatchError),
        (
            "huleedu.nobody.v1",
            lambda e: {**e.model_dump(mode="json"), "event_type": None},
            UnknownTopicError,
        ),
    ],
    ids=["malformed payload", "class name as event type", "unregistered topic"],
)
async def test_add_event_refuses_what_a_consumer_could_not_decode_before_storing_it(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    event_type: str,
    mangle: Any,
    refusal: type[Exception],
) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(refusal):
            await SqlOutboxRepository(session).add_event(
                aggregate_type="cj_batch",
                aggregate_id="batch123",
                event_type=event_type,
                event_data=mangle(cj_completed()),
            )
    assert await stored_rows(engine) == []
