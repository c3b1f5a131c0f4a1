"""The four service apps, built as their tests build them, for the cross-service API tests.

`build(name, database_url, redis_url, externals)` gives the app and the headers each of its
security schemes takes; with placeholder URLs it serves its OpenAPI document without touching
a server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.identity import (
    ADMIN_KEY_HEADER,
    ADMIN_USER_HEADER,
    INTERNAL_KEY_HEADER,
    ORG_HEADER,
    USER_HEADER,
)

SERVICES = ("entitlements_service", "file_service", "class_management_service", "cj_service")
INTERNAL_KEY = "internal-test-key-0123456789"
ADMIN_KEY = "admin-test-key-0123456789"
PLACEHOLDER_DATABASE = "postgresql+asyncpg://unused:unused@127.0.0.1:9/unused"
PLACEHOLDER_REDIS = "redis://127.0.0.1:9/0"
ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIRS = {
    "entitlements_service": ROOT / "services/entitlements_service",
    "file_service": ROOT / "services/file_service",
    "class_management_service": ROOT / "services/class_management_service",
    "cj_service": ROOT / "services/cj_assessment_service",
}
# A value for each security scheme of the documents (huleedu_service_libs.app.openapi).
SCHEME_HEADERS = {
    "UserId": (USER_HEADER, "fuzz-teacher"),
    "OrgId": (ORG_HEADER, "fuzz-org"),
    "InternalKey": (INTERNAL_KEY_HEADER, INTERNAL_KEY),
    "AdminKey": (ADMIN_KEY_HEADER, ADMIN_KEY),
    "AdminUser": (ADMIN_USER_HEADER, "fuzz-admin"),
}


@dataclass(frozen=True)
class Urls:
    database: str = PLACEHOLDER_DATABASE
    redis: str = PLACEHOLDER_REDIS
    externals: Mapping[str, str] | None = None


def _common(urls: Urls, tmp: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": urls.database,
        "REDIS_URL": urls.redis,
        "ENVIRONMENT": "testing",
        "INTERNAL_API_KEY": INTERNAL_KEY,
        "ADMIN_API_KEY": ADMIN_KEY,
    }


def _entitlements(urls: Urls, tmp: Path) -> HuleEduApp:
    from services.entitlements_service.app import create_app
    from services.entitlements_service.config import Settings

    return create_app(Settings(**_common(urls, tmp)))


def _file(urls: Urls, tmp: Path) -> HuleEduApp:
    from services.file_service.app import create_app
    from services.file_service.config import load_file_settings

    return create_app(load_file_settings(**_common(urls, tmp), CONTENT_STORE_DIR=tmp / "content"))


def _class_management(urls: Urls, tmp: Path) -> HuleEduApp:
    from services.class_management_service.app import create_app
    from services.class_management_service.config import load_service_settings

    return create_app(load_service_settings(**_common(urls, tmp)))


def _cj(urls: Urls, tmp: Path) -> HuleEduApp:
    from services.cj_assessment_service.app import create_app
    from services.cj_assessment_service.config import load_service_settings

    externals = dict(urls.externals or {})
    unused = "http://127.0.0.1:9"
    return create_app(
        load_service_settings(
            **_common(urls, tmp),
            ENTITLEMENTS_URL=externals.get("ENTITLEMENTS_URL", unused),
            FILE_SERVICE_URL=externals.get("FILE_SERVICE_URL", unused),
            LLM_BASE_URL=externals.get("LLM", unused) + "/v1",
            LLM_API_KEY="sk-test",
        )
    )


BUILDERS: dict[str, Callable[[Urls, Path], HuleEduApp]] = {
    "entitlements_service": _entitlements,
    "file_service": _file,
    "class_management_service": _class_management,
    "cj_service": _cj,
}


def build(name: str, tmp: Path, urls: Urls | None = None) -> HuleEduApp:
    return BUILDERS[name](urls or Urls(), tmp)


@asynccontextmanager
async def cj_externals() -> AsyncIterator[dict[str, str]]:
    """CJ's neighbours (entitlements, file service, the LLM) as the CJ tests fake them."""
    from services.cj_assessment_service.tests.support.fake_llm import FakeLlm
    from services.cj_assessment_service.tests.support.fake_services import (
        FakeEntitlements,
        FakeFileService,
    )
    from services.cj_assessment_service.tests.support.servers import serving

    async with AsyncExitStack() as stack:
        urls = {}
        for key, fake in (
            ("ENTITLEMENTS_URL", FakeEntitlements()),
            ("FILE_SERVICE_URL", FakeFileService()),
            ("LLM", FakeLlm()),
        ):
            urls[key] = await stack.enter_async_context(serving(fake.app))
        yield urls
