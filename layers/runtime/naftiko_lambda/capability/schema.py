"""The format's relaxed JSON Schema check (used by `validate`, never on a cold start).

Departures are reported with severity ``schema``: the runtime serves what it can read (the real
files rarely pass the strict schema, capability/load.py is the judge), so they fail only
``validate --strict``. alpha1 files are checked against the alpha2 schema (what alpha1 has,
alpha2 kept).
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


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for name in ("McpToolInputParameter", "ExposedInputParameter"):
        schema["$defs"][name]["properties"].update(INPUT_EXTENSIONS)
    schema["$defs"]["ConsumesHttp"]["properties"]["baseUri"]["pattern"] = BASE_URI
    schema["properties"]["naftiko"] = {"type": "string", "enum": list(VERSIONS)}
    return jsonschema.Draft202012Validator(schema)


def schema_issues(raw: Any) -> list[SpecIssue]:
    """One issue per schema violation, at its most specific field."""
    issues = []
    for error in sorted(_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        specific = _deepest(error)
        message = specific.message
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        issues.append(SpecIssue("schema", tuple(specific.absolute_path), f"schema: {message}"))
    return issues


def _deepest(error: Any) -> Any:
    """The sub-error of a oneOf/anyOf that names the real defect: from the alternative that got
    furthest into the value (a consumes entry with ``type: http`` fails the import alternative's
    "'location' is required" too, but the http alternative's error is at the parameter at fault);
    among equals, anything but a missing-property complaint."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "required"))
    return error
