"""Each service's OpenAPI document is valid, lists every route, and says what the app answers;
/docs is Swagger UI from the app's own files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from huleedu_service_libs.app import HuleEduApp
from huleedu_service_libs.app.docs import ASSETS
from tests.api.apps import SERVICES, build

UNDOCUMENTED = {"/openapi.json", "/docs", "/docs/assets/<name>", "/static/<path:filename>"}
PATH_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture(params=SERVICES)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> HuleEduApp:
    return build(request.param, tmp_path)


async def _document(app: HuleEduApp) -> dict[str, Any]:
    response = await app.test_client().get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = await response.get_json()
    return document


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


async def test_the_document_is_valid_openapi(app: HuleEduApp) -> None:
    validate(await _document(app))


async def test_every_route_of_the_app_is_documented(app: HuleEduApp) -> None:
    operations = _operations(await _document(app))
    routes = {
        (method, PATH_PARAMETER.sub(r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule not in UNDOCUMENTED
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routes - set(operations) == set()
    assert {"/healthz", "/metrics"} <= {path for _, path in operations}


async def test_every_operation_declares_its_answers_errors_and_identity(app: HuleEduApp) -> None:
    document = await _document(app)
    components = document["components"]
    assert set(components["securitySchemes"]) >= {"UserId", "InternalKey", "AdminKey"}
    assert components["schemas"]["ErrorDetail"]["required"] == [
        "error_code",
        "message",
        "correlation_id",
        "service",
        "operation",
    ]
    for (method, path), operation in _operations(document).items():
        statuses = set(operation["responses"])
        assert any(status.startswith("2") for status in statuses), (method, path)
        assert {"400", "500", "503", "default"} <= statuses, (method, path)
        refs = [parameter.get("$ref") for parameter in operation["parameters"]]
        assert "#/components/parameters/CorrelationId" in refs, (method, path)
        if path.startswith(("/v1/", "/internal/", "/admin/")):
            assert operation["security"], (method, path)
            assert "401" in statuses, (method, path)
        if method in {"POST", "PUT"} and "requestBody" in operation:
            assert {"413", "415"} <= statuses, (method, path)


async def test_uploads_imports_and_deletions_are_documented(tmp_path: Path) -> None:
    file_doc = _operations(await _document(build("file_service", tmp_path)))
    upload = file_doc[("POST", "/v1/files/batch/{batch_id}/files")]["requestBody"]
    assert "multipart/form-data" in upload["content"]
    deletion = file_doc[("DELETE", "/v1/files/batch/{batch_id}/files/{file_upload_id}")]
    assert "204" in deletion["responses"]
    classes = _operations(await _document(build("class_management_service", tmp_path)))
    roster = classes[("POST", "/v1/classes/{class_id}/students/import")]["requestBody"]
    assert set(roster["content"]) == {"text/csv", "multipart/form-data"}
    for method, path in classes:
        if method == "DELETE":
            assert "204" in classes[(method, path)]["responses"], path


async def test_docs_is_swagger_ui_from_the_app_itself_under_a_strict_policy(
    app: HuleEduApp,
) -> None:
    client = app.test_client()
    page = await client.get("/docs")
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/docs/assets/") for source in sources), sources
    assert "<script>" not in html  # no inline script: the policy would block it
    for source in [*sources, "/docs/assets/initializer.js"]:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        data = await asset.get_data()
        text = data.decode("latin-1") if isinstance(data, bytes) else data
        assert not re.search(r"https?://[^\s\"']*cdn", text), source
    assert {*ASSETS, "initializer.js"} >= {source.rsplit("/", 1)[1] for source in sources}
    missing = await client.get("/docs/assets/swagger-editor-bundle.js")
    assert missing.status_code == 404
