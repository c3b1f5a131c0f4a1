"""The content API's use case: another service reads an essay's extracted text."""

from __future__ import annotations

from dataclasses import dataclass

from common_core.domain_enums import ContentType
from common_core.error_enums import ErrorCode
from huleedu_service_libs.correlation import CorrelationContext
from services.file_service.handlers.support import refuse
from services.file_service.protocols import StoredContent, UnitOfWorkFactory


@dataclass
class ReadContent:
    uow: UnitOfWorkFactory

    async def __call__(self, storage_id: str, corr: CorrelationContext) -> StoredContent:
        async with self.uow() as uow:
            content = await uow.content.get(storage_id)
        if content is None or content.content_type is not ContentType.EXTRACTED_TEXT:
            refuse(
                ErrorCode.RESOURCE_NOT_FOUND,
                "Content not found",
                corr,
                "get_content",
                storage_id=storage_id,
            )
        return content
