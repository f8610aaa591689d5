"""The Swagger UI page of a capability, and the two Swagger UI files it loads, from the installed
package (swagger-ui-bundle-v2): no CDN, so the page works where third-party hosts are blocked.

Every URL the page uses is relative to the page, so it works under any prefix the client's URL has
in front of ``/{capability}`` (an API Gateway stage, a custom domain's base path mapping, none):

    .../m3ter-billjob/docs    -> openapi.json,    docs/swagger-ui.css?v=5.31.0, docs/swagger-ui-bundle.js?v=...
    .../m3ter-billjob/docs/   -> ../openapi.json, swagger-ui.css?v=5.31.0,      swagger-ui-bundle.js?v=...

Only the files named in ``ASSETS`` are ever read: a request names a key of that table, never a
path, so no request can reach another file. They are read on the first request for them and kept
while the instance is warm (about 1.7 MB).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
"""The only files served from the Swagger UI distribution: name -> content type."""
ASSET_MAX_AGE_S = 365 * 24 * 3600
"""How long a browser may keep an asset (seconds): the page asks for it with ``?v=<Swagger UI version>``,
so a new release is a new URL."""

_UI_OPTIONS = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    "validatorUrl": None,  # else Swagger UI shows a badge fetched from validator.swagger.io
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Page:
    html: str
    content_security_policy: str


def _dist() -> Any:
    from swagger_ui_bundle import swagger_ui_path  # the installed Swagger UI dist folder

    return swagger_ui_path


@cache
def ui_version() -> str:
    """The Swagger UI release the package carries (``5.31.0``), from its folder's name."""
    return str(_dist().name).removeprefix("swagger-ui-")


@cache
def asset(name: str) -> Asset | None:
    """One of ``ASSETS`` (read once per instance), or None for any other name."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return Asset(_dist().joinpath(name).read_bytes(), content_type)


def _safe_json(value: Any) -> str:
    """JSON that cannot close the inline <script> it is written into."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def page(title: str, *, trailing_slash: bool) -> Page:
    """The docs page as served at ``.../docs`` (``trailing_slash=False``) or ``.../docs/``.

    Its Content-Security-Policy lets it load scripts, styles and data from its own origin only,
    and run its one inline script (by hash).
    """
    assets = "" if trailing_slash else "docs/"
    spec = "../openapi.json" if trailing_slash else "openapi.json"
    version = ui_version()
    options = {"url": spec, **_UI_OPTIONS}
    script = (
        f"window.ui = SwaggerUIBundle(Object.assign({_safe_json(options)}, "
        "{presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}));"
    )
    text = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)} - docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}swagger-ui.css?v={version}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js?v={version}"></script>
<script>{script}</script>
</body>
</html>
"""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = (
        "default-src 'self'; "
        f"script-src 'self' 'sha256-{digest}'; "
        "style-src 'self' 'unsafe-inline'; "  # Swagger UI sets style attributes
        "img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return Page(text, policy)
