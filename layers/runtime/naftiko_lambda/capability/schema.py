"""The format's relaxed JSON Schema check (used by `validate`, never on a cold start)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    return jsonschema.Draft202012Validator(schema)


def schema_issues(raw: Any) -> list[SpecIssue]:
    """One error per schema violation, at its most specific field."""
    from jsonschema.exceptions import best_match

    issues = []
    for error in sorted(_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        # oneOf/anyOf failures say little; the best sub-error names the real field.
        specific = best_match(error.context) if error.context else error
        message = specific.message
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        issues.append(SpecIssue("error", tuple(specific.absolute_path), f"schema: {message}"))
    return issues
