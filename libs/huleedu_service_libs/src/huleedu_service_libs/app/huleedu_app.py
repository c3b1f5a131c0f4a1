from __future__ import annotations

from dishka import AsyncContainer
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncEngine

REQUIRED_DEPENDENCIES = ("container", "database_engine")


class MissingAppDependencyError(RuntimeError):
    pass


class HuleEduApp(Quart):
    """A Quart app that is guaranteed a DI container and a database engine before it serves."""

    container: AsyncContainer
    database_engine: AsyncEngine

    def ensure_dependencies(self) -> None:
        missing = [name for name in REQUIRED_DEPENDENCIES if getattr(self, name, None) is None]
        if missing:
            raise MissingAppDependencyError(
                f"HuleEduApp {self.name!r} cannot serve without: {', '.join(missing)}"
            )

    async def startup(self) -> None:
        self.ensure_dependencies()
        await super().startup()

    async def asgi_app(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        self.ensure_dependencies()
        await super().asgi_app(scope, receive, send)
