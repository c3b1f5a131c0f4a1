"""The four services as the platform runs them: ports, settings prefixes, databases, entry points.

One table shared by the local stack, migrate-all, the outbox verifier and the compose tests. Ports
and database names are the ones in ARCHITECTURE.md section 1; the compose tests check that the
compose files and each service's settings agree with it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from huleedu_service_libs.config import SecureServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES_DIR = REPO_ROOT / "services"


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # the package under services/, e.g. "file_service"
    title: str
    port: int
    env_prefix: str
    database: str
    db_service: str  # the compose service of its PostgreSQL
    db_host_port: int  # where the compose PostgreSQL is published on the host
    redis_db: int
    # Settings holding the base URL of another service it calls: (setting, that service).
    http_dependencies: tuple[tuple[str, str], ...] = ()
    # Settings the local stack points at a file of this repository: (setting, path from its root).
    stack_files: tuple[tuple[str, str], ...] = ()

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    @property
    def directory(self) -> Path:
        return SERVICES_DIR / self.name

    @property
    def alembic_ini(self) -> Path:
        return self.directory / "alembic.ini"

    @property
    def app_target(self) -> str:
        """The app factory, called: what the tests build the service app from."""
        return f"{self.package}.app:create_app()"

    @property
    def http_module(self) -> str:
        """`python -m` this: the service's own HTTP entry (settings, logging, Uvicorn)."""
        return f"{self.package}.app"

    @property
    def worker_module(self) -> str:
        return f"{self.package}.worker_main"

    @property
    def settings_module(self) -> str:
        return f"{self.package}.config"

    def settings_class(self) -> type[SecureServiceSettings]:
        """The service's settings: the one SecureServiceSettings subclass its config.py defines."""
        module = importlib.import_module(self.settings_module)
        found = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, SecureServiceSettings)
            and value.__module__ == module.__name__
        ]
        if len(found) != 1:
            raise LookupError(f"{self.settings_module} defines {len(found)} settings classes")
        return found[0]

    def missing_parts(self) -> list[str]:
        """Files the platform needs from this service that do not exist (yet)."""
        wanted = ["app.py", "worker_main.py", "config.py", "alembic.ini"]
        return [part for part in wanted if not (self.directory / part).is_file()]


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="entitlements_service",
        title="Entitlements",
        port=8083,
        env_prefix="ENTITLEMENTS_SERVICE_",
        database="huleedu_entitlements",
        db_service="entitlements_db",
        db_host_port=5438,
        redis_db=0,
    ),
    ServiceSpec(
        name="file_service",
        title="File",
        port=7001,
        env_prefix="FILE_SERVICE_",
        database="huleedu_file_service",
        db_service="file_service_db",
        db_host_port=5439,  # seed 003
        redis_db=1,
    ),
    ServiceSpec(
        name="class_management_service",
        title="Class management",
        port=5002,
        env_prefix="CLASS_MANAGEMENT_SERVICE_",
        database="huleedu_class_management",
        db_service="class_management_db",
        db_host_port=5436,
        redis_db=2,
    ),
    ServiceSpec(
        name="cj_assessment_service",
        title="CJ assessment",
        port=9095,
        env_prefix="CJ_ASSESSMENT_SERVICE_",
        database="huleedu_cj_assessment",
        db_service="cj_assessment_db",  # container huleedu_cj_assessment_db (seed 001)
        db_host_port=5437,
        redis_db=3,
        http_dependencies=(
            ("ENTITLEMENTS_URL", "entitlements_service"),
            ("FILE_SERVICE_URL", "file_service"),
        ),
        # The demo's essays and anchors get their declared qualities from the simulated judge.
        stack_files=(
            ("SIMULATED_JUDGE_QUALITIES_FILE", "scripts/demo_data/simulated_qualities.json"),
        ),
    ),
)

SERVICES_BY_NAME: dict[str, ServiceSpec] = {spec.name: spec for spec in SERVICES}


def select(names: list[str] | None) -> list[ServiceSpec]:
    """The named services (all when none are named); an unknown name raises KeyError."""
    if not names:
        return list(SERVICES)
    unknown = [name for name in names if name not in SERVICES_BY_NAME]
    if unknown:
        raise KeyError(f"unknown service(s): {', '.join(unknown)}; known: {known_names()}")
    return [SERVICES_BY_NAME[name] for name in names]


def known_names() -> str:
    return ", ".join(spec.name for spec in SERVICES)


@dataclass(frozen=True)
class GatewaySpec:
    """The API gateway: no database, no worker; in front of the four services."""

    name: str = "api_gateway_service"
    port: int = 8080
    env_prefix: str = "API_GATEWAY_SERVICE_"
    redis_db: int = 4
    http_module: str = "services.api_gateway_service.app"
    # The gateway's setting holding each service's base URL.
    service_urls: tuple[tuple[str, str], ...] = (
        ("ENTITLEMENTS_URL", "entitlements_service"),
        ("FILE_SERVICE_URL", "file_service"),
        ("CLASS_MANAGEMENT_URL", "class_management_service"),
        ("CJ_ASSESSMENT_URL", "cj_assessment_service"),
    )


GATEWAY = GatewaySpec()
