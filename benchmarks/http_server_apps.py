"""The two apps `http_server.py` serves: an empty Quart route, and that route in the skeleton."""

from __future__ import annotations

import socket

from dishka import make_async_container
from pydantic import BaseModel
from quart import Blueprint, Quart
from quart_dishka import QuartProvider
from quart_schema import validate_response
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.logging_utils import configure_logging


async def ping() -> dict[str, bool]:
    return {"ok": True}


class Pong(BaseModel):
    ok: bool


@validate_response(Pong, 200)
async def typed_ping() -> Pong:
    """As the services' routes answer: a response model (a plain dict would cost Quart-Schema a
    new pydantic TypeAdapter per response, which no service route pays)."""
    return Pong(ok=True)


def empty_app() -> Quart:
    app = Quart("empty")
    app.add_url_rule("/ping", "ping", ping, methods=["GET"])
    return app


def skeleton_app() -> HuleEduApp:
    """As a service runs it, at the benchmarks' log level; the engine is never connected."""
    configure_logging("bench_service", "production", "WARNING")
    routes = Blueprint("bench", __name__)
    routes.add_url_rule("/ping", "ping", typed_ping, methods=["GET"])
    return create_service_app(
        service_name="bench_service",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(f"postgresql+asyncpg://u:p@127.0.0.1:{_closed()}/x"),
        blueprints=[routes],
    )


def _closed() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
