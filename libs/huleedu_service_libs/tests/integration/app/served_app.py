"""The factory `test_serve_http.py` serves in a child process: a slow route and a shutdown mark."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from dishka import make_async_container
from quart import Blueprint
from quart_dishka import QuartProvider
from sqlalchemy.ext.asyncio import create_async_engine

from huleedu_service_libs.app import HuleEduApp, create_service_app
from huleedu_service_libs.correlation import CorrelationProvider
from huleedu_service_libs.logging_utils import configure_logging


async def slow() -> dict[str, bool]:
    await asyncio.sleep(float(os.environ["SERVED_APP_DELAY"]))
    return {"finished": True}


def production_app() -> HuleEduApp:
    configure_logging("served_app", "production", "INFO")
    routes = Blueprint("served", __name__)
    routes.add_url_rule("/slow", "slow", slow, methods=["GET"])
    app = create_service_app(
        service_name="served_app",
        container=make_async_container(QuartProvider(), CorrelationProvider()),
        database_engine=create_async_engine(os.environ["SERVED_APP_DATABASE_URL"]),
        blueprints=[routes],
    )

    async def mark_shutdown() -> None:
        mark = Path(os.environ["SERVED_APP_SHUTDOWN_MARK"])
        await asyncio.to_thread(mark.write_text, f"{os.getpid()}\n")

    app.after_serving(mark_shutdown)
    return app
