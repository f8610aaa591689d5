"""What the client called, as API Gateway tells it: the public base URL in front of ``/{capability}`` (pure).

The function routes on ``/{capability}/...``, but the client's URL may carry more in front of it,
and each event shape says so in its own way (Mangum puts the event in the ASGI scope as
``aws.event`` and routes on its path as given):

- REST API (payload 1.0): ``path`` never holds the stage or a custom domain's base path mapping;
  ``requestContext.path`` is the path as the client sent it (``/prod/m3ter-billjob/docs`` on the
  execute-api host, ``/billing/m3ter-billjob/docs`` under a base path mapping). What it has in
  front of ``path`` is the base.
- HTTP API (payload 2.0): a named stage (not ``$default``) is in ``rawPath`` and in the path
  Mangum routes on (``/prod/m3ter-billjob/docs``), even on a custom domain, where the client's
  URL has the API mapping key instead, and the event does not carry that key. So the stage is
  taken off the routed path, and it is the base on the execute-api host only.
- ``serve`` sends REST API events whose ``requestContext.path`` is the path (no stage in a local
  URL), with ``domainName`` and ``X-Forwarded-Proto: http`` as the local gateway sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _is_execute_api(host: str) -> bool:
    """``<id>.execute-api.<region>.amazonaws.com``: the default endpoint, where the stage is in the URL."""
    return ".execute-api." in host


def stage_prefix(scope: Mapping[str, Any]) -> str:
    """``/prod`` when an HTTP API (payload 2.0) put its named stage in front of the path Mangum
    routes on (``requestContext.http.path``), else ``""``."""
    event = scope.get("aws.event")
    if not isinstance(event, dict) or event.get("version") != "2.0":
        return ""
    context = event.get("requestContext")
    stage = context.get("stage") if isinstance(context, dict) else None
    http = context.get("http") if isinstance(context, dict) else None
    if not isinstance(stage, str) or not stage or stage == "$default" or "/" in stage or not isinstance(http, dict):
        return ""
    path = str(http.get("path") or "")
    prefix = "/" + stage
    return prefix if path == prefix or path.startswith(prefix + "/") else ""


def _headers(scope: Mapping[str, Any]) -> dict[str, str]:
    return {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1") for k, v in scope.get("headers") or ()}


def server_url(scope: Mapping[str, Any]) -> str:
    """The URL the client puts in front of ``/{capability}/...``, without a trailing slash:
    ``https://abc123.execute-api.us-east-1.amazonaws.com/prod``, ``https://api.example.com/billing``,
    ``http://127.0.0.1:8000``. It becomes the OpenAPI document's ``servers[0].url``."""
    headers = _headers(scope)
    event = scope.get("aws.event")
    context = event.get("requestContext") if isinstance(event, dict) else None
    if not isinstance(event, dict) or not isinstance(context, dict):  # plain ASGI (no gateway in front)
        host = headers.get("host") or _server(scope)
        return f"{scope.get('scheme', 'http')}://{host}{str(scope.get('root_path', '')).rstrip('/')}"
    scheme = headers.get("x-forwarded-proto", "https").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        scheme = "https"
    host = str(context.get("domainName") or headers.get("host") or "")
    if event.get("version") == "2.0":
        base = stage_prefix(scope) if _is_execute_api(host) else ""
    else:
        base = _rest_api_base(event, context, host)
    return f"{scheme}://{host}{base}"


def _rest_api_base(event: Mapping[str, Any], context: Mapping[str, Any], host: str) -> str:
    """What ``requestContext.path`` has in front of ``path``: the stage, a base path mapping, or nothing."""
    own = event.get("path")
    seen = context.get("path")
    if isinstance(own, str) and isinstance(seen, str) and own and seen.endswith(own):
        base = seen[: len(seen) - len(own)].rstrip("/")
        return base if base.startswith("/") else ""
    stage = context.get("stage")
    if _is_execute_api(host) and isinstance(stage, str) and stage and "/" not in stage:
        return "/" + stage
    return ""


def _server(scope: Mapping[str, Any]) -> str:
    server = scope.get("server")
    if not server:
        return "localhost"
    host, port = server
    return f"{host}:{port}" if port not in (None, 80, 443) else str(host)
