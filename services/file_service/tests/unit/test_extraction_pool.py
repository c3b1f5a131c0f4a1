"""The worker's extraction runs in other processes, and a stuck extraction does not stick."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from common_core.domain_enums import FileFormat
from services.file_service.domain.documents import ExtractedText
from services.file_service.domain.limits import DocumentLimits
from services.file_service.implementations.extraction import ProcessPoolExtractor
from services.file_service.protocols import ExtractorUnavailableError
from services.file_service.tests import documents as docs

pytestmark = pytest.mark.slow
ESSAY = docs.essay_text(300)


@pytest.fixture
def pool() -> Iterator[ProcessPoolExtractor]:
    extractor = ProcessPoolExtractor(
        DocumentLimits(), processes=1, timeout_seconds=30, memory_limit_bytes=1024**3
    )
    extractor.start()
    yield extractor
    extractor.stop()


async def test_documents_are_extracted_in_another_process(pool: ProcessPoolExtractor) -> None:
    outcome = await pool.extract(docs.pdf_bytes(ESSAY), FileFormat.PDF)
    assert isinstance(outcome, ExtractedText)
    assert outcome.text.split() == ESSAY.split()
    workers = pool._pool._processes  # type: ignore[union-attr]
    assert workers
    assert os.getpid() not in workers


async def test_a_timed_out_extraction_gives_the_file_back_and_the_pool_recovers(
    pool: ProcessPoolExtractor,
) -> None:
    pool.timeout_seconds = 0.000_001
    with pytest.raises(ExtractorUnavailableError):
        await pool.extract(docs.pdf_bytes(ESSAY), FileFormat.PDF)

    pool.timeout_seconds = 30
    outcome = await pool.extract(ESSAY.encode(), FileFormat.TXT)
    assert isinstance(outcome, ExtractedText)
