"""The format's relaxed JSON Schema check (used by `validate`, never on a cold start).

Departures are reported with severity ``schema``: the runtime serves what it can read (the real
files rarely pass the strict schema, capability/load.py is the judge), so they fail only
``validate --strict``. alpha1 files are checked against the alpha2 schema (what alpha1 has,
alpha2 kept); Ikanos files against the beta4 schema, relaxed the same three ways.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .build import VERSIONS
from .issues import SpecIssue

SCHEMA_FILE = Path(__file__).with_name("naftiko-schema-1.0.0-alpha2-relaxed.json")
MAX_MESSAGE_CHARS = 240


INPUT_EXTENSIONS = {
    "enum": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "items": {
        "type": "object",
        "properties": {"type": {"enum": ["string", "number", "integer", "boolean", "object"]}},
        "required": ["type"],
        "additionalProperties": False,
    },
}
"""Keys the runtime reads on exposed and MCP tool input parameters beyond the format's schema:
a string input's ``enum`` and an array input's ``items`` type (both reach the published input
schema; ``import openapi`` writes them)."""
BASE_URI = r"^(https?://[^/]+|\{\{[^{}]+\}\})(/[^{]*)?$"
"""``baseUri`` may also open with a bound variable holding the whole URL (``{{SUGER_BASE_URL}}/v1``):
the runtime serves it (consumes/request.py ``resolve_base_uri``) and real files use it."""


BETA4_SCHEMA_FILE = Path(__file__).with_name("ikanos-schema-1.0.0-beta4.json")
RELAXED_CONSUMED_PARAM = {
    "type": {"type": "string", "enum": ["string", "number", "integer", "boolean", "array", "object"]},
    "required": {"type": "boolean"},
    "description": {"type": "string"},
}
"""beta4 keeps alpha2's three relaxations (the alpha2 relaxed schema has them written in): a consumed
parameter's ``type``, ``required`` and ``description`` (they type the inputs derived from it:
capability/inputs.py), a REST adapter's ``description``, and flat object/array outputs without
``properties``/``items`` (the whole answer, untyped). 1,778 of 2,466 real files need the first."""


@lru_cache(maxsize=2)
def _validator(beta4: bool) -> Any:
    import jsonschema

    schema = json.loads((BETA4_SCHEMA_FILE if beta4 else SCHEMA_FILE).read_text(encoding="utf-8"))
    defs = schema["$defs"]
    for name in ("McpToolInputParameter", "ExposedInputParameter"):
        defs[name]["properties"].update(INPUT_EXTENSIONS)
    defs["ConsumesHttp"]["properties"]["baseUri"]["pattern"] = BASE_URI
    if beta4:
        defs["ConsumedInputParameter"]["properties"].update(RELAXED_CONSUMED_PARAM)
        defs["ExposesRest"]["properties"]["description"] = {"type": "string"}
        for name in ("MappedOutputParameterObject", "MappedOutputParameterArray"):
            defs[name]["allOf"][1].pop("required", None)
    else:
        schema["properties"]["naftiko"] = {"type": "string", "enum": list(VERSIONS)}
    return jsonschema.Draft202012Validator(schema)


def schema_issues(raw: Any) -> list[SpecIssue]:
    """One issue per schema violation, at its most specific field."""
    issues = []
    beta4 = isinstance(raw, dict) and "ikanos" in raw
    for error in sorted(_validator(beta4).iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        specific = _deepest(error)
        message = specific.message
        # Every alternative is for another type (oauth1, hmac: dialects the runtime reads too).
        if types := _types_expected(specific):
            message = f"type {specific.instance.get('type')!r} is not one of the schema's: {', '.join(types)}"
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        issues.append(SpecIssue("schema", tuple(specific.absolute_path), f"schema: {message}"))
    return issues


def _deepest(error: Any) -> Any:
    """The sub-error of a oneOf/anyOf that names the real defect: from the alternative that got
    furthest into the value (a consumes entry with ``type: http`` fails the import alternative's
    "'location' is required" too, but the http alternative's error is at the parameter at fault);
    among equals, anything but a missing-property complaint. An alternative for another ``type``
    (an exposes entry that says ``type: mcp`` fails the rest alternative's rules too) is passed
    over while one of the entry's own type is left; when none is, the error is the choice itself."""
    while error.context and not _types_expected(error):
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        own = [b for b in branches.values() if not any(_other_type(e, error) for e in b)]
        candidates = [e for b in own for e in b] or list(error.context)
        error = max(candidates, key=lambda e: (len(e.absolute_path), e.validator != "required"))
    return error


def _types_expected(error: Any) -> list[str]:
    """The ``type`` values a oneOf/anyOf allows when every alternative rejects the value's type,
    else []."""
    if not error.context or not isinstance(error.instance, dict):
        return []
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    found: list[str] = []
    for branch in branches.values():
        rejected = [e for e in branch if _other_type(e, error)]
        if not rejected:
            return []
        value = rejected[0].schema.get("const", rejected[0].schema.get("enum"))
        found.extend(map(str, value) if isinstance(value, list) else [str(value)])
    return sorted(set(found))


def _other_type(sub: Any, parent: Any) -> bool:
    """The alternative ``sub`` belongs to is for another ``type`` than the value's."""
    return sub.validator in ("const", "enum") and list(sub.absolute_path) == [*parent.absolute_path, "type"]
