"""Capability -> OpenAPI 3.1 document for its REST surface (pure)."""

from __future__ import annotations

from typing import Any

from ...capability.model import Capability
from ..inputs import Input, derive_inputs
from .routes import route_path

_PROBLEM = {"$ref": "#/components/responses/Problem"}


def _schema(item: Input) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": item.type}
    if item.type == "array":
        schema["items"] = {"type": "string"}
    return schema


def build_openapi(capability: Capability, prefix: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in capability.rest_operations:
        inputs = derive_inputs(operation)
        parameters = []
        body = None
        for item in inputs:
            if item.location == "body":
                body = item
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
                "200": {"description": "The upstream's answer, mapped", "content": {"application/json": {}}},
                "400": _PROBLEM,
                "502": _PROBLEM,
                "503": _PROBLEM,
                "504": _PROBLEM,
            },
        }
        if operation.description:
            entry["description"] = operation.description
        if body is not None:
            entry["requestBody"] = {
                "required": body.required,
                "description": body.description or "JSON body",
                "content": {"application/json": {"schema": _schema(body)}},
            }
        paths.setdefault(prefix + route_path(operation.path), {})[operation.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": capability.label, "version": "1.0.0", "description": capability.description},
        "paths": paths,
        "components": {
            "responses": {
                "Problem": {
                    "description": "An error, as RFC 9457 problem details",
                    "content": {"application/problem+json": {"schema": {"type": "object"}}},
                }
            }
        },
    }
