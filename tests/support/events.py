"""Lambda events for tests, made from the committed events/*.json files (real shapes)."""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

from ..conftest import EVENTS


@cache
def _template(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def template(name: str) -> dict[str, Any]:
    return copy.deepcopy(_template(name))


def apigw_event(
    version: int,
    method: str,
    path: str,
    query: dict[str, str | list[str]] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    base64_body: bool | None = None,
) -> dict[str, Any]:
    """An API Gateway event (payload 1.0 or 2.0) for ``method path``, from events/ samples."""
    query = query or {}
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if version == 1:
        event = template("m3ter-billjob-post.apigw-v1.json")
        event.update(path=path, httpMethod=method)
        event["requestContext"].update(path="/prod" + path, httpMethod=method)
        event["queryStringParameters"] = {k: v[-1] if isinstance(v, list) else v for k, v in query.items()} or None
        event["multiValueQueryStringParameters"] = {
            k: v if isinstance(v, list) else [v] for k, v in query.items()
        } or None
        if text is None:
            event["headers"].pop("Content-Type", None)
            event["multiValueHeaders"].pop("Content-Type", None)
        for key, value in (headers or {}).items():
            event["headers"][key] = value
            event["multiValueHeaders"][key] = [value]
    else:
        event = template("m3ter-billjob-post.apigw-v2.json")
        event["rawPath"] = path
        event["requestContext"]["http"].update(method=method, path=path)
        event["rawQueryString"] = urlencode(query, doseq=True)
        event["queryStringParameters"] = {k: ",".join(v) if isinstance(v, list) else v for k, v in query.items()}
        if text is None:
            event["headers"].pop("content-type", None)
        event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    encode = base64_body if base64_body is not None else version == 2
    if text is None:
        event["body"], event["isBase64Encoded"] = None, False
    else:
        event["body"] = base64.b64encode(text.encode()).decode() if encode else text
        event["isBase64Encoded"] = encode
    return event


def response_json(response: dict[str, Any]) -> Any:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body) if body else None


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (response.get("headers") or {}).items()}
