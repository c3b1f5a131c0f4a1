"""Teacher routes under /v1/files/batch (X-User-ID; other users' batches and files are 404)."""

from __future__ import annotations

import asyncio
from uuid import UUID

from dishka import FromDishka
from quart import Blueprint, Response, request
from quart.datastructures import FileStorage
from quart_dishka import inject
from quart_schema import validate_querystring, validate_request, validate_response
from werkzeug.datastructures import MultiDict

from huleedu_service_libs.app.openapi import multipart_files, no_content, request_body
from huleedu_service_libs.correlation import CorrelationContext
from huleedu_service_libs.error_handling import raise_unsupported_media_type
from huleedu_service_libs.identity import Caller, require_teacher
from services.file_service.api.schemas import (
    BatchPage,
    BatchStateResponse,
    BatchSummary,
    CreateBatchRequest,
    FileView,
    PageArgs,
    UploadResponse,
)
from services.file_service.config import SERVICE_NAME
from services.file_service.handlers.batches import BatchQueries, CreateBatch, NewBatch
from services.file_service.handlers.deletion import DeleteFile
from services.file_service.handlers.uploads import IncomingFile, UploadEssays
from services.file_service.protocols import Page


def batch_blueprint() -> Blueprint:
    api = Blueprint("batches", __name__, url_prefix="/v1/files/batch")
    api.before_request(require_teacher)

    @api.post("")
    @validate_request(CreateBatchRequest)
    @validate_response(BatchSummary, 201)
    @inject
    async def create_batch(
        data: CreateBatchRequest, create: FromDishka[CreateBatch], caller: FromDishka[Caller]
    ) -> tuple[BatchSummary, int]:
        """Create a batch to upload essays into."""
        new = NewBatch(data.title, data.course_code, data.class_id)
        return BatchSummary.of(await create(caller.teacher_id, new)), 201

    @api.get("")
    @validate_querystring(PageArgs)
    @validate_response(BatchPage, 200)
    @inject
    async def list_batches(
        query_args: PageArgs, queries: FromDishka[BatchQueries], caller: FromDishka[Caller]
    ) -> BatchPage:
        """Your batches, newest first."""
        size = query_args.page_size
        page = Page(offset=(query_args.page - 1) * size, limit=size)
        batches, total = await queries.list(caller.teacher_id, page)
        items = [BatchSummary.of(batch) for batch in batches]
        return BatchPage(items=items, page=query_args.page, page_size=size, total=total)

    @api.get("/<uuid:batch_id>")
    @validate_response(BatchStateResponse, 200)
    @inject
    async def get_batch(
        batch_id: UUID,
        queries: FromDishka[BatchQueries],
        corr: FromDishka[CorrelationContext],
        caller: FromDishka[Caller],
    ) -> BatchStateResponse:
        """The batch with every file's status, size and validation outcome, and the counts."""
        return BatchStateResponse.of_state(await queries.state(caller.teacher_id, batch_id, corr))

    @api.post("/<uuid:batch_id>/files")
    @request_body(
        multipart_files("files", "Essays: .txt, .docx or .pdf, one part each", multiple=True),
        "One or many essays as multipart/form-data parts",
    )
    @validate_response(UploadResponse, 202)
    @inject
    async def upload_files(
        batch_id: UUID,
        upload: FromDishka[UploadEssays],
        corr: FromDishka[CorrelationContext],
        caller: FromDishka[Caller],
    ) -> tuple[UploadResponse, int]:
        """Upload one or many essays (.txt, .docx, .pdf) as multipart/form-data parts."""
        incoming = await _incoming_files(corr)
        files = await upload(caller.teacher_id, batch_id, incoming, corr)
        return UploadResponse(batch_id=batch_id, files=[FileView.of(f) for f in files]), 202

    @api.delete("/<uuid:batch_id>/files/<uuid:file_upload_id>")
    @no_content
    @inject
    async def delete_file(
        batch_id: UUID,
        file_upload_id: UUID,
        delete: FromDishka[DeleteFile],
        corr: FromDishka[CorrelationContext],
        caller: FromDishka[Caller],
    ) -> Response:
        """Remove a processed file from an unlocked batch."""
        await delete(caller.teacher_id, batch_id, file_upload_id, corr)
        return Response(status=204)

    return api


async def _incoming_files(corr: CorrelationContext) -> list[IncomingFile]:
    if request.mimetype != "multipart/form-data":
        raise_unsupported_media_type(
            SERVICE_NAME,
            "upload_files",
            "Upload files as multipart/form-data",
            corr.uuid,
            corr.original,
            content_type=request.mimetype or None,
        )
    parts: MultiDict[str, FileStorage] = await request.files
    return await asyncio.to_thread(_read_parts, parts)


def _read_parts(parts: MultiDict[str, FileStorage]) -> list[IncomingFile]:
    # Spooled to disk above Quart's in-memory threshold: read off the event loop.
    return [IncomingFile(part.filename, part.read()) for _, part in parts.items(multi=True)]
