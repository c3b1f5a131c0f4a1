"""The demo's stand-in for the NLP service, which is not part of this repository: it suggests
each essay's author from its file name and publishes `BatchAuthorMatchesSuggestedV1` to Kafka,
where the class management worker picks it up like any other suggestion."""

from __future__ import annotations

import asyncio
import re
from pathlib import PurePath
from uuid import UUID

from common_core.events.class_management import (
    BatchAuthorMatchesSuggestedV1,
    EssayMatchResult,
    StudentMatchSuggestion,
)
from common_core.events.codec import encode_envelope, new_envelope
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.kafka import KafkaBus
from huleedu_service_libs.kafka.messages import OutgoingMessage, envelope_headers

SOURCE = "demo_author_matcher"
NAME_MATCH_CONFIDENCE = 0.9


def name_key(text: str) -> str:
    return re.sub(r"[^a-z]+", " ", text.lower()).strip()


def suggest_authors(
    batch_id: UUID,
    class_id: UUID,
    file_names: dict[UUID, str],
    roster: dict[str, UUID],
) -> BatchAuthorMatchesSuggestedV1:
    """`roster` maps "first last" to the student id; an essay whose file is named after a
    student gets that student, any other essay no suggestion."""
    by_name = {name_key(name): student for name, student in roster.items()}
    results = []
    for essay_id, file_name in file_names.items():
        stem = name_key(PurePath(file_name).stem)
        student = by_name.get(stem)
        suggestions = (
            []
            if student is None
            else [
                StudentMatchSuggestion(
                    student_id=student,
                    student_name=stem.title(),
                    confidence_score=NAME_MATCH_CONFIDENCE,
                    match_reasons=["file name is the student's name"],
                )
            ]
        )
        results.append(
            EssayMatchResult(
                essay_id=essay_id,
                file_name=file_name,
                suggestions=suggestions,
                no_match_reason=None if suggestions else "no student's name in the file name",
            )
        )
    return BatchAuthorMatchesSuggestedV1(
        batch_id=batch_id, class_id=class_id, match_results=results
    )


async def _publish(event: BatchAuthorMatchesSuggestedV1, bootstrap: str, correlation: str) -> None:
    envelope = new_envelope(
        event,
        source_service=SOURCE,
        correlation_id=CorrelationContext.from_header(correlation).uuid,
    )
    message = OutgoingMessage(
        envelope.event_type,
        encode_envelope(envelope),
        str(event.batch_id).encode(),
        envelope_headers(envelope),
    )
    bus = KafkaBus(bootstrap, SOURCE, enable_idempotence=False)
    await bus.start()
    try:
        [error] = await bus.send_batch([message])
    finally:
        await bus.stop()
    if error is not None:
        raise RuntimeError(f"publishing the author suggestions failed: {error}")


def publish_suggestions(
    event: BatchAuthorMatchesSuggestedV1, bootstrap: str, correlation: str
) -> None:
    asyncio.run(_publish(event, bootstrap, correlation))
