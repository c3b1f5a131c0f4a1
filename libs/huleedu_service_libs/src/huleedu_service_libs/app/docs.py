"""`/docs`: Swagger UI from the files shipped in the swagger-ui-py wheel, served by the app.

No request leaves the host (the page works offline), and the page runs under a strict
Content-Security-Policy: no inline script, every script, style and image from the app itself.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from quart import Quart, Response, send_from_directory
from quart_schema import hide
from werkzeug.exceptions import NotFound

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def _assets_dir() -> Path:
    spec = find_spec("swagger_ui")  # the swagger-ui-py wheel; only its files are used
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("swagger-ui-py is not installed")
    return Path(spec.origin).parent / "static"


ASSETS_DIR = _assets_dir()
# The files the page loads; nothing else in the wheel's folder is served.
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "index.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="stylesheet" href="{assets}/index.css">
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-ui-standalone-preset.js"></script>
  <script src="{assets}/initializer.js"></script>
</body>
</html>
"""

_INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "%s",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
};
"""


def setup_swagger_ui(app: Quart, title: str, openapi_path: str = "/openapi.json") -> None:
    page = _PAGE.format(title=title, assets=ASSETS_PATH)
    initializer = _INITIALIZER % openapi_path

    @hide
    async def swagger_ui_page() -> Response:
        return _with_policy(Response(page, mimetype="text/html"))

    @hide
    async def swagger_ui_asset(name: str) -> Response:
        if name == "initializer.js":
            return _with_policy(Response(initializer, mimetype="text/javascript"))
        if name not in ASSETS:
            raise NotFound(f"No documentation asset {name!r}")
        return _with_policy(await send_from_directory(ASSETS_DIR, name))

    app.add_url_rule(DOCS_PATH, "swagger_ui", swagger_ui_page, methods=["GET"])
    app.add_url_rule(ASSETS_PATH + "/<name>", "swagger_ui_asset", swagger_ui_asset, methods=["GET"])


def _with_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
