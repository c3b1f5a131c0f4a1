"""The content store as a table (in the caller's transaction) or as a directory of files."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.domain_enums import ContentType
from services.file_service.domain.content_address import md5_hex, parse_storage_id, storage_id_for
from services.file_service.models_db import ContentRow
from services.file_service.protocols import StoredContent


def stored(content_type: ContentType, data: bytes) -> StoredContent:
    return StoredContent(
        storage_id=storage_id_for(content_type, data),
        content_type=content_type,
        size_bytes=len(data),
        md5=md5_hex(data),
        data=data,
    )


class TableContentStore:
    """Writes join the unit of work's transaction: a rolled-back upload leaves no blob."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        content = stored(content_type, data)
        statement = insert(ContentRow).values(
            storage_id=content.storage_id,
            content_type=content_type.value,
            data=data,
            size_bytes=content.size_bytes,
            md5=content.md5,
        )
        await self.session.execute(statement.on_conflict_do_nothing(index_elements=["storage_id"]))
        return content

    async def get(self, storage_id: str) -> StoredContent | None:
        row = await self.session.get(ContentRow, storage_id)
        if row is None:
            return None
        content_type = ContentType(row.content_type)
        return StoredContent(storage_id, content_type, row.size_bytes, row.md5, row.data)


class DirectoryContentStore:
    """One file per key under `root`; written atomically (temp file + rename). A blob written by
    a transaction that then rolls back stays behind unreferenced: harmless, as keys are hashes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def put(self, content_type: ContentType, data: bytes) -> StoredContent:
        content = stored(content_type, data)
        await asyncio.to_thread(self._write, self._path(content.storage_id), data)
        return content

    async def get(self, storage_id: str) -> StoredContent | None:
        parsed = parse_storage_id(storage_id)
        if parsed is None:
            return None
        data = await asyncio.to_thread(self._read, self._path(storage_id))
        return None if data is None else stored(parsed[0], data)

    def _path(self, storage_id: str) -> Path:
        return self.root / storage_id[:-62] / storage_id

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
