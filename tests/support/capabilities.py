"""Build literal capabilities for unit tests (no files, no sockets)."""

from __future__ import annotations

from typing import Any

import yaml
from naftiko_lambda.capability.build import build_capability
from naftiko_lambda.capability.model import Capability
from naftiko_lambda.consumes.request import UpstreamRequest, build_request
from naftiko_lambda.credentials import CredentialSource
from naftiko_lambda.runner.scope import call_scope, make_scope

BASE = """
naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys: {{API_TOKEN: API_TOKEN}}
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://api.example.com/v1
    authentication: {auth}
    resources:
    - name: things
      path: {path}
      operations:
      - name: op
        method: {method}
        inputParameters: {params}
{body}
  exposes:
  - type: mcp
    namespace: up-mcp
    tools:
    - name: tool
      description: d
      call: up.op
      with: {with_}
"""


def capability(
    *,
    path: str = "/things/{id}",
    method: str = "GET",
    params: list[dict[str, Any]] | None = None,
    with_: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    body: Any = None,
) -> Capability:
    text = BASE.format(
        path=path,
        method=method,
        params=yaml.safe_dump(params or [{"name": "id", "in": "path"}], default_flow_style=True).strip(),
        with_=yaml.safe_dump(with_ if with_ is not None else {"id": "tools.id"}, default_flow_style=True).strip(),
        auth=yaml.safe_dump(auth or {"type": "bearer", "token": "{{env.API_TOKEN}}"}, default_flow_style=True).strip(),
        body="        body: " + yaml.safe_dump(body, default_flow_style=True).strip() if body is not None else "",
    )
    built, issues = build_capability(yaml.safe_load(text), "test", "test.yaml")
    errors = [i for i in issues if i.severity == "error"]
    assert built is not None and not errors, errors
    return built


def request_for(cap: Capability, inputs: dict[str, Any], env: dict[str, str] | None = None) -> UpstreamRequest:
    from naftiko_lambda.consumes.auth import apply_auth

    tool = cap.tools[0]
    credentials = CredentialSource(environ=env if env is not None else {"API_TOKEN": "tok"})
    step = tool.plan.calls[0]
    scope = call_scope(make_scope(cap, tool.plan, inputs, credentials), step, {})
    request = build_request(step.operation, scope, "https://api.example.com/v1")
    return apply_auth(request, cap.consumes["up"].auth, scope)
