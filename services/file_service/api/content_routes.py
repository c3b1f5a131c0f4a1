"""The internal content API (X-Internal-API-Key): other services read extracted essay texts."""

from __future__ import annotations

from dishka import FromDishka
from quart import Blueprint
from quart_dishka import inject
from quart_schema import validate_response

from common_core.models.file_api import EssayContentResponse
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.identity import require_internal_key
from services.file_service.handlers.content import ReadContent


def content_blueprint() -> Blueprint:
    api = Blueprint("content", __name__, url_prefix="/internal/v1/content")
    api.before_request(require_internal_key)

    @api.get("/<storage_id>")
    @validate_response(EssayContentResponse, 200)
    @inject
    async def get_content(
        storage_id: str, read: FromDishka[ReadContent], corr: FromDishka[CorrelationContext]
    ) -> EssayContentResponse:
        """An essay's extracted, normalised text by its text_storage_id."""
        content = await read(storage_id, corr)
        text = content.data.decode()
        return EssayContentResponse(
            storage_id=content.storage_id,
            content_type=content.content_type,
            text=text,
            char_count=len(text),
            md5=content.md5,
        )

    return api
