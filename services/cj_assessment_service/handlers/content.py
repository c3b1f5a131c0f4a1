"""Essay texts for the judge: students' essays from the file service, anchors from our table."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.cj_assessment_service.models_db import AssessmentEssay
from services.cj_assessment_service.protocols import (
    ContentMissing,
    ContentSource,
    ContentUnavailable,
    UnitOfWorkFactory,
)


class TextsUnavailable(Exception):
    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing  # True: gone for good; False: try again later


@dataclass
class EssayTexts:
    uows: UnitOfWorkFactory
    content: ContentSource
    cache_size: int = 2000
    _cache: OrderedDict[str, str] = field(default_factory=OrderedDict, init=False, repr=False)

    async def for_participants(self, participants: Sequence[AssessmentEssay]) -> dict[int, str]:
        texts = await self._anchor_texts(participants)
        essays = [p for p in participants if p.anchor_id is None]
        fetched = await asyncio.gather(*(self._essay_text(p) for p in essays))
        texts.update(zip((p.position for p in essays), fetched, strict=True))
        return texts

    async def _anchor_texts(self, participants: Sequence[AssessmentEssay]) -> dict[int, str]:
        by_anchor = {p.anchor_id: p.position for p in participants if p.anchor_id is not None}
        if not by_anchor:
            return {}
        async with self.uows() as uow:
            anchors = await uow.anchors.by_ids([a for a in by_anchor if a is not None])
        return {by_anchor[a.id]: a.text for a in anchors}

    async def _essay_text(self, participant: AssessmentEssay) -> str:
        storage_id = participant.text_storage_id
        if storage_id is None:
            raise TextsUnavailable(f"essay {participant.essay_id} has no text", missing=True)
        if storage_id in self._cache:
            self._cache.move_to_end(storage_id)
            return self._cache[storage_id]
        try:
            text = await self.content.text(storage_id)
        except ContentMissing:
            raise TextsUnavailable(
                f"the text of essay {participant.essay_id} is gone", missing=True
            ) from None
        except ContentUnavailable:
            raise TextsUnavailable("the file service is unavailable", missing=False) from None
        self._remember(storage_id, text)
        return text

    def _remember(self, storage_id: str, text: str) -> None:
        self._cache[storage_id] = text
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
