"""Capability -> OpenAPI 3.1 document for its REST surface (pure).

``servers`` is left out: it depends on the URL the client used, and the app adds it per request
(gateway.py). With ``api_key_required`` (the gateway demands its usage plan's key), every operation
also requires the ``x-api-key`` header, as scheme ``API_KEY_SCHEME``, beside any inbound auth of its
own ``rest`` block: Swagger UI then sends the key the reader enters under "Authorize".
"""

from __future__ import annotations

from typing import Any

from ...capability.model import Auth, Capability, ExposedOperation, Input
from ...capability.templates import route_path
from ...runner.idempotency import MAX_KEY_CHARS, honours_header
from ..schemas import input_property, result_schema

_PROBLEM = {"$ref": "#/components/responses/Problem"}
API_KEY_SCHEME = "gateway_api_key"
"""The name of the API Gateway usage plan key's security scheme; the other schemes are named after
exposes namespaces, which are kebab-case: never with an underscore."""
_API_KEY = {
    "type": "apiKey",
    "in": "header",
    "name": "x-api-key",
    "description": "The API key of the API Gateway usage plan (ask whoever deployed this API)",
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
    "description": "A unique name for this request (a UUID). Send it again when retrying: the write happens at"
    " most once, and the retry gets the first answer (with Idempotent-Replayed: true). 409: the first is still"
    " running (see Retry-After); 422: the key was used for a different request.",
}


def _schema(item: Input) -> dict[str, Any]:
    schema = input_property(item)
    schema.pop("description", None)  # OpenAPI carries it on the parameter
    return schema


def _request_body(inputs: list[Input]) -> dict[str, Any]:
    """One whole-body input is the body; otherwise each input is a field (or a JSONPath) of it."""
    if len(inputs) == 1 and inputs[0].body_path is None and (inputs[0].type == "object" or inputs[0].name == "body"):
        only = inputs[0]
        schema = _schema(only)
        return {
            "required": only.required,
            "description": only.description or "JSON body",
            "content": {"application/json": {"schema": schema}},
        }
    root: dict[str, Any] = {"type": "object", "properties": {}}
    for item in inputs:
        steps = [s for s in item.body_path.steps if isinstance(s, str)] if item.body_path else [item.name]
        node = root
        for step in steps[:-1]:
            node = node["properties"].setdefault(step, {"type": "object", "properties": {}})
        leaf = _schema(item)
        if item.description:
            leaf["description"] = item.description
        node["properties"][steps[-1] if steps else item.name] = leaf
        if item.required and steps:
            required = node.setdefault("required", [])
            if steps[-1] not in required:
                required.append(steps[-1])
    return {
        "required": any(i.required for i in inputs),
        "description": "JSON body",
        "content": {"application/json": {"schema": root}},
    }


def _skill_paths(prefix: str, security: list[dict[str, list[str]]] | None) -> dict[str, Any]:
    ok = {"description": "The skills catalog", "content": {"application/json": {"schema": {"type": "object"}}}}
    one = {"description": "One skill and its tools", "content": {"application/json": {"schema": {"type": "object"}}}}
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    listing: dict[str, Any] = {"operationId": "skills.list", "summary": "List the skills", "responses": {"200": ok}}
    detail: dict[str, Any] = {
        "operationId": "skills.get",
        "summary": "A skill's detail",
        "parameters": [name],
        "responses": {"200": one, "404": _PROBLEM},
    }
    if security:
        listing["security"] = detail["security"] = security
    return {f"{prefix}/skills": {"get": listing}, f"{prefix}/skills/{{name}}": {"get": detail}}


def _binary_response(operation: ExposedOperation) -> dict[str, Any]:
    """A binary answer (beta4 ``outputRawFormat: binary``): the bytes, of the declared media type."""
    call = operation.call
    media = (call.media_type if call is not None else None) or operation.media_type or "application/octet-stream"
    limit = f" (at most {operation.max_binary} bytes)"
    return {
        "description": "The upstream's bytes" + limit,
        "content": {media: {"schema": {"type": "string", "format": "binary"}}},
    }


def security_scheme(auth: Auth) -> dict[str, Any]:
    """An exposes block's inbound authentication as an OpenAPI security scheme."""
    if auth.type == "oauth2":
        token_url = auth.text("tokenEndpoint")
        if token_url:
            scopes = {scope: scope for scope in auth.scopes}
            return {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": scopes}}}
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    if auth.type == "apikey":
        return {"type": "apiKey", "in": auth.placement, "name": auth.text("key") or "X-API-Key"}
    return {"type": "http", "scheme": auth.type}  # bearer, basic


def build_openapi(capability: Capability, prefix: str, *, api_key_required: bool = False) -> dict[str, Any]:
    """The document of the capability's REST operations under ``prefix``, without ``servers``."""
    paths: dict[str, dict[str, Any]] = {}
    guard = {block.namespace: block.auth for block in capability.rest if block.auth is not None}
    gateway_key: dict[str, list[str]] = {API_KEY_SCHEME: []} if api_key_required else {}
    for operation in capability.rest_operations:
        parameters = []
        body_inputs = []
        for item in operation.inputs:
            if item.static is not None:
                continue
            if item.location == "body":
                body_inputs.append(item)
                continue
            param: dict[str, Any] = {
                "name": item.name,
                "in": item.location,
                "required": item.required or item.location == "path",
                "schema": _schema(item),
            }
            if item.description:
                param["description"] = item.description
            if item.type == "array":
                param["explode"] = True
            parameters.append(param)
        entry: dict[str, Any] = {
            "operationId": f"{operation.exposes_namespace}.{operation.name}",
            "summary": operation.label or operation.description or operation.name,
            "parameters": parameters,
            "responses": {
                "200": _binary_response(operation)
                if operation.max_binary
                else {
                    "description": "The upstream's answer, mapped",
                    "content": {"application/json": {"schema": result_schema(operation.plan) or {}}},
                },
                "400": _PROBLEM,
                "502": _PROBLEM,
                "503": _PROBLEM,
                "504": _PROBLEM,
            },
        }
        if honours_header(capability, operation) and not any(
            p["name"].lower() == "idempotency-key" for p in parameters
        ):
            parameters.append(_IDEMPOTENCY_KEY)
            entry["responses"].update({"409": _PROBLEM, "422": _PROBLEM})
        if operation.description:
            entry["description"] = operation.description
        if body_inputs:
            entry["requestBody"] = _request_body(body_inputs)
        block = guard.get(operation.exposes_namespace)
        if block is not None:
            own = {operation.exposes_namespace: list(block.scopes) if block.type == "oauth2" else []}
            entry["security"] = [{**gateway_key, **own}]  # both: the gateway's key and the block's own
            entry["responses"]["401"] = _PROBLEM
        elif gateway_key:
            entry["security"] = [gateway_key]
        paths.setdefault(prefix + route_path(operation.path), {})[operation.method.lower()] = entry
    if capability.skills:
        paths.update(_skill_paths(prefix, [gateway_key] if gateway_key else None))
    schemes = {
        **({API_KEY_SCHEME: _API_KEY} if api_key_required else {}),
        **{namespace: security_scheme(auth) for namespace, auth in guard.items()},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": capability.label, "version": "1.0.0", "description": capability.description},
        "paths": paths,
        "components": {
            # Swagger UI shows an "Authorize" button for any securitySchemes, even none: leave it out.
            **({"securitySchemes": schemes} if schemes else {}),
            "responses": {
                "Problem": {
                    "description": "An error, as RFC 9457 problem details",
                    "content": {"application/problem+json": {"schema": {"type": "object"}}},
                }
            },
        },
    }
