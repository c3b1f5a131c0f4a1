"""PostgreSQL repositories. They never commit: the unit of work owns the transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import OID, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common_core.courses import CourseCode
from common_core.domain_enums import FileFormat
from common_core.error_enums import FileValidationErrorCode
from services.file_service.domain.model import Batch, EssayFile, FileStatus
from services.file_service.models_db import Base, BatchRow, FileRow
from services.file_service.protocols import DuplicateFileError, Page

DUPLICATE_CONSTRAINT = "uq_file_uploads_batch_sha256"
_BATCH = Base.metadata.tables[BatchRow.__tablename__]
_FILE = Base.metadata.tables[FileRow.__tablename__]
# The two catalog views the liveness check reads; oid columns are compared as bigints.
_CATALOG = MetaData()
_PG_LOCKS = Table(
    "pg_locks",
    _CATALOG,
    Column("locktype", Text),
    Column("database", OID),
    Column("classid", OID),
    Column("objid", OID),
    Column("objsubid", Integer),
    Column("granted", Boolean),
    schema="pg_catalog",
)
_PG_DATABASE = Table(
    "pg_database", _CATALOG, Column("oid", OID), Column("datname", Text), schema="pg_catalog"
)


def _batch(row: Any) -> Batch:
    return Batch(
        batch_id=row.batch_id,
        owner_user_id=row.owner_user_id,
        title=row.title,
        course_code=CourseCode(row.course_code),
        class_id=row.class_id,
        created_at=row.created_at,
        locked_at=row.locked_at,
        locking_assessment_id=row.locking_assessment_id,
    )


def _batch_values(batch: Batch) -> dict[str, Any]:
    return {**asdict(batch), "course_code": batch.course_code.value}


class SqlBatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, batch: Batch) -> None:
        await self.session.execute(insert(_BATCH).values(_batch_values(batch)))

    async def get(self, batch_id: UUID) -> Batch | None:
        return await self._one(select(_BATCH).where(_BATCH.c.batch_id == batch_id))

    async def get_for_share(self, batch_id: UUID) -> Batch | None:
        query = select(_BATCH).where(_BATCH.c.batch_id == batch_id).with_for_update(read=True)
        return await self._one(query)

    async def get_for_update(self, batch_id: UUID) -> Batch | None:
        query = select(_BATCH).where(_BATCH.c.batch_id == batch_id).with_for_update()
        return await self._one(query)

    async def save(self, batch: Batch) -> None:
        values = _batch_values(batch)
        statement = update(_BATCH).where(_BATCH.c.batch_id == batch.batch_id)
        await self.session.execute(statement.values(values))

    async def list_for_owner(self, owner_user_id: str, page: Page) -> tuple[list[Batch], int]:
        owned = _BATCH.c.owner_user_id == owner_user_id
        query = (
            select(_BATCH)
            .where(owned)
            .order_by(_BATCH.c.created_at.desc(), _BATCH.c.batch_id)
            .offset(page.offset)
            .limit(page.limit)
        )
        rows = (await self.session.execute(query)).all()
        total = await self.session.scalar(select(func.count()).select_from(_BATCH).where(owned))
        return [_batch(row) for row in rows], int(total or 0)

    async def _one(self, query: Any) -> Batch | None:
        row = (await self.session.execute(query)).one_or_none()
        return None if row is None else _batch(row)


def _claimer_is_gone() -> ColumnElement[bool]:
    """The claim names a liveness lock that nobody in this database holds: its worker is dead
    (PostgreSQL drops a session's advisory locks when the session ends)."""
    key = _FILE.c.claimer_lock_key
    this_database = (
        select(_PG_DATABASE.c.oid)
        .where(_PG_DATABASE.c.datname == func.current_database())
        .scalar_subquery()
    )
    held = (
        select(literal(1))
        .select_from(_PG_LOCKS)
        .where(
            _PG_LOCKS.c.locktype == "advisory",
            _PG_LOCKS.c.granted,
            _PG_LOCKS.c.objsubid == 1,  # the one-bigint form: high half in classid, low in objid
            cast(_PG_LOCKS.c.database, BigInteger) == cast(this_database, BigInteger),
            cast(_PG_LOCKS.c.classid, BigInteger) == key.op(">>")(literal(32, Integer)),
            cast(_PG_LOCKS.c.objid, BigInteger) == key.op("&")(0xFFFFFFFF),
        )
    )
    return and_(key.is_not(None), ~exists(held))


def _file(row: Any) -> EssayFile:
    code = row.validation_error_code
    return EssayFile(
        file_upload_id=row.file_upload_id,
        batch_id=row.batch_id,
        owner_user_id=row.owner_user_id,
        file_name=row.original_file_name,
        file_format=FileFormat(row.file_format),
        size_bytes=row.file_size_bytes,
        md5=row.file_md5,
        sha256=row.file_sha256,
        raw_storage_id=row.raw_storage_id,
        correlation_id=row.correlation_id,
        original_correlation_id=row.original_correlation_id,
        created_at=row.created_at,
        status=FileStatus(row.status),
        attempts=row.attempts,
        claim_token=row.claim_token,
        claimed_until=row.claimed_until,
        text_storage_id=row.text_storage_id,
        text_char_count=row.text_char_count,
        validation_error_code=None if code is None else FileValidationErrorCode(code),
        validation_message=row.validation_message,
        completed_at=row.completed_at,
    )


def _file_values(file: EssayFile) -> dict[str, Any]:
    values = asdict(file)
    values["original_file_name"] = values.pop("file_name")
    values["file_size_bytes"] = values.pop("size_bytes")
    values["file_md5"] = values.pop("md5")
    values["file_sha256"] = values.pop("sha256")
    values["file_format"] = file.file_format.value
    values["status"] = file.status.value
    code = file.validation_error_code
    values["validation_error_code"] = None if code is None else code.value
    return values


class SqlFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, file: EssayFile) -> None:
        try:  # the unit of work is abandoned on a duplicate, so no savepoint is needed
            await self.session.execute(insert(_FILE).values(_file_values(file)))
        except IntegrityError as error:
            if DUPLICATE_CONSTRAINT in str(error.orig):
                raise DuplicateFileError(file.sha256) from error
            raise

    async def get(self, file_upload_id: UUID) -> EssayFile | None:
        return await self._one(select(_FILE).where(_FILE.c.file_upload_id == file_upload_id))

    async def get_for_update(self, file_upload_id: UUID) -> EssayFile | None:
        query = select(_FILE).where(_FILE.c.file_upload_id == file_upload_id).with_for_update()
        return await self._one(query)

    async def list_for_batch(self, batch_id: UUID) -> list[EssayFile]:
        query = (
            select(_FILE)
            .where(_FILE.c.batch_id == batch_id)
            .order_by(_FILE.c.created_at, _FILE.c.file_upload_id)
        )
        return [_file(row) for row in (await self.session.execute(query)).all()]

    async def hashes_in_batch(self, batch_id: UUID) -> set[str]:
        query = select(_FILE.c.file_sha256).where(_FILE.c.batch_id == batch_id)
        return set((await self.session.scalars(query)).all())

    async def save(self, file: EssayFile) -> None:
        statement = update(_FILE).where(_FILE.c.file_upload_id == file.file_upload_id)
        await self.session.execute(statement.values(_file_values(file)))

    async def delete(self, file_upload_id: UUID) -> None:
        await self.session.execute(delete(_FILE).where(_FILE.c.file_upload_id == file_upload_id))

    async def claim_due(
        self,
        now: datetime,
        claimed_until: datetime,
        token: UUID,
        limit: int,
        claimer_lock_key: int | None = None,
    ) -> list[EssayFile]:
        expired = or_(_FILE.c.claimed_until < now, _claimer_is_gone())
        due = (
            select(_FILE.c.file_upload_id)
            .where(_FILE.c.status.in_([FileStatus.PENDING.value, FileStatus.PROCESSING.value]))
            .where(or_(_FILE.c.status == FileStatus.PENDING.value, expired))
            .order_by(_FILE.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(_FILE)
            .where(_FILE.c.file_upload_id.in_(due.scalar_subquery()))
            .values(
                status=FileStatus.PROCESSING.value,
                attempts=_FILE.c.attempts + 1,
                claim_token=token,
                claimed_until=claimed_until,
                claimer_lock_key=claimer_lock_key,
            )
            .returning(*_FILE.c)
        )
        rows = (await self.session.execute(claim)).all()
        return sorted((_file(row) for row in rows), key=lambda file: file.created_at)

    async def _one(self, query: Any) -> EssayFile | None:
        row = (await self.session.execute(query)).one_or_none()
        return None if row is None else _file(row)
