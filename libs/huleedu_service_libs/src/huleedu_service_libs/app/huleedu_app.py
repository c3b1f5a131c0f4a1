from __future__ import annotations

from typing import Any

from dishka import AsyncContainer
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart, Request
from sqlalchemy.ext.asyncio import AsyncEngine

REQUIRED_DEPENDENCIES = ("container", "database_engine")


class MissingAppDependencyError(RuntimeError):
    pass


class HuleEduRequest(Request):
    def remember_json(self, document: Any) -> None:
        """The body as the request guard parsed it, so `get_json` does not parse it again."""
        self._cached_json = {False: document, True: document}

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        # Quart decodes the body as UTF-8 before its JSON error handling, so bytes that are not
        # UTF-8 escaped as a UnicodeDecodeError (a 500) instead of a malformed-JSON 400; a body
        # the request guard did not see may nest deeply enough for a RecursionError.
        try:
            return await super().get_json(force=force, silent=silent, cache=cache)
        except (UnicodeDecodeError, RecursionError) as error:
            return None if silent else self.on_json_loading_failed(error)


class HuleEduApp(Quart):
    """A Quart app that is guaranteed a DI container and a database engine before it serves."""

    request_class = HuleEduRequest
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
