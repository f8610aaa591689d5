"""Every operation of the five seeds sends exactly the right request upstream.

Expectations are derived from the raw YAML here (not from the runtime's model), so a wrong
model, binding or encoding shows up as a mismatch.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from naftiko_lambda import CredentialSource, Upstreams, load_capability, run
from naftiko_lambda.consumes.transport import Urllib3Transport

from ..conftest import SEED_ENV, SEED_FILES
from ..support.beta4 import DIALECTS, in_dialect
from ..support.upstream import Reply, UpstreamServer

SEEDS = SEED_FILES
AUTH = {
    "m3ter.yaml": ("Authorization", "Bearer " + SEED_ENV["M3TER_TOKEN"]),
    "suger-metering.yaml": ("Authorization", SEED_ENV["SUGER_API_KEY"]),
}
DEFAULT_AUTH = ("Authorization", "Bearer " + SEED_ENV["M3TER_API_KEY"])


def _cases() -> list[Any]:
    cases = []
    for file in SEEDS:
        raw = yaml.safe_load(file.read_text())
        consumed = {}
        for adapter in raw["capability"]["consumes"]:
            for resource in adapter["resources"]:
                for op in resource["operations"]:
                    consumed[f"{adapter['namespace']}.{op['name']}"] = (resource["path"], op)
        for exposes in raw["capability"]["exposes"]:
            if exposes["type"] == "rest":
                ops = [op for r in exposes["resources"] for op in r["operations"]]
            elif exposes["type"] == "mcp":
                ops = exposes["tools"]
            else:
                continue
            for op in ops:
                cases.append(
                    pytest.param(
                        file,
                        exposes["type"],
                        op["name"],
                        consumed[op["call"]],
                        op,
                        id=f"{file.stem}-{exposes['type']}-{op['name']}",
                    )
                )
    return cases


def _value_for(param: dict[str, Any] | None, name: str) -> Any:
    kind = (param or {}).get("type", "string")
    if (param or {}).get("in") == "body":
        return {"name": f"body for {name}", "n": 1, "nested": {"ok": True}}
    return {"integer": 7, "number": 2.5, "boolean": True, "array": ["a b", "c/d"]}.get(kind, f"v {name}/x")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("file", "kind", "name", "consumed", "exposed"), _cases())
def test_seed_operation_sends_exact_request(
    upstream: UpstreamServer, file: Path, kind: str, name: str, consumed: Any, exposed: dict[str, Any], dialect: str
) -> None:
    """The same request from the seed as written and from its migrated beta4 copy (issue 20):
    the expectations come from the alpha2 YAML either way."""
    resource_path, op = consumed
    params = {p["name"]: p for p in op.get("inputParameters", [])}
    inputs: dict[str, Any] = {}
    arguments: dict[str, Any] = {}
    for key, ref in exposed.get("with", {}).items():
        input_name = ref.split(".", 1)[1]
        inputs[input_name] = arguments[key] = _value_for(params.get(key), key)

    capability = _load(in_dialect(file, dialect))
    operation = next(o for o in (*capability.rest_operations, *capability.tools) if o.kind == kind and o.name == name)
    namespace = operation.call.namespace
    upstream.reply(Reply(200, {"id": "x1", "items": [1, 2]}))
    outcome = run(
        capability,
        operation,
        inputs,
        credentials=CredentialSource(environ=dict(SEED_ENV)),
        transport=Urllib3Transport(),
        upstreams=Upstreams({namespace: upstream.url}),
    )

    assert outcome.status == 200
    assert outcome.data == {"id": "x1", "items": [1, 2]}
    got = upstream.last
    assert got.method == op["method"]
    expected_path = re.sub(r"\{(\w+)\}", lambda m: _quote(arguments[m.group(1)]), resource_path)
    assert got.path == expected_path
    expected_query = []
    for pname, param in params.items():
        if param["in"] == "query" and pname in arguments:
            values = arguments[pname] if isinstance(arguments[pname], list) else [arguments[pname]]
            expected_query += [(pname, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
    assert sorted(got.query) == sorted(expected_query)
    header, value = AUTH.get(file.name, DEFAULT_AUTH)
    assert got.headers.get(header) == value
    body_params = [p for p, spec in params.items() if spec["in"] == "body"]
    if body_params:
        assert got.json() == arguments[body_params[0]]
        assert got.headers["Content-Type"] == "application/json"
    else:
        assert got.body == b""


@cache
def _load(file: Path) -> Any:
    return load_capability(file)


def _quote(value: Any) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


def test_every_seed_operation_is_covered() -> None:
    """The five seeds expose 87 REST operations and 87 tools; each is a case above."""
    counts = {f.name: (len(load_capability(f).rest_operations), len(load_capability(f).tools)) for f in SEEDS}
    assert counts == {
        "m3ter-balances.yaml": (8, 8),
        "m3ter-billjob.yaml": (5, 5),
        "m3ter-marketplace-integrations.yaml": (1, 1),
        "m3ter.yaml": (60, 60),
        "suger-metering.yaml": (13, 13),
    }
    assert len(_cases()) == 2 * 87
