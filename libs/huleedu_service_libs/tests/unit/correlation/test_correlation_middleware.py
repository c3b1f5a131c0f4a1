from uuid import UUID, uuid4, uuid5

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart

from huleedu_service_libs.correlation import (
    CORRELATION_HEADER,
    CORRELATION_NAMESPACE,
    current_correlation,
    require_correlation,
    setup_correlation_middleware,
)


def build_app() -> Quart:
    app = Quart(__name__)
    setup_correlation_middleware(app)

    @app.get("/echo")
    async def echo() -> dict[str, str]:
        context = require_correlation()
        return {"original": context.original, "uuid": str(context.uuid)}

    return app


async def test_uuid_header_is_echoed_and_used() -> None:
    sent = str(uuid4())

    response = await build_app().test_client().get("/echo", headers={CORRELATION_HEADER: sent})

    assert response.headers[CORRELATION_HEADER] == sent
    assert await response.get_json() == {"original": sent, "uuid": sent}


async def test_non_uuid_header_is_echoed_and_mapped() -> None:
    response = await build_app().test_client().get("/echo", headers={CORRELATION_HEADER: "req-1"})

    body = await response.get_json()
    assert response.headers[CORRELATION_HEADER] == "req-1"
    assert body["uuid"] == str(uuid5(CORRELATION_NAMESPACE, "req-1"))


async def test_missing_header_is_generated_and_echoed() -> None:
    response = await build_app().test_client().get("/echo")

    body = await response.get_json()
    assert response.headers[CORRELATION_HEADER] == body["original"] == body["uuid"]
    UUID(body["uuid"])


async def test_context_does_not_leak_out_of_the_request() -> None:
    await build_app().test_client().get("/echo", headers={CORRELATION_HEADER: "x"})

    assert current_correlation() is None


async def test_unknown_route_still_echoes_the_header() -> None:
    response = await build_app().test_client().get("/nowhere", headers={CORRELATION_HEADER: "q"})

    assert response.status_code == 404
    assert response.headers[CORRELATION_HEADER] == "q"


latin1_header_values = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n"),
    max_size=300,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=latin1_header_values)
async def test_any_header_value_is_answered_with_an_echoed_usable_id(value: str) -> None:
    response = await build_app().test_client().get("/echo", headers={CORRELATION_HEADER: value})

    body = await response.get_json()
    assert response.status_code == 200
    assert response.headers[CORRELATION_HEADER] == body["original"]
    UUID(body["uuid"])
