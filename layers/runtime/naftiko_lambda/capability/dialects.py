"""Ikanos ``1.0.0-beta4`` documents -> the one shape the builder reads (pure).

The format changed its shape, not its meaning, from Naftiko alpha2 to Ikanos beta4: named things
are keyed maps (``tools: {get-ship: {...}}``) where alpha2 wrote lists with a ``name``,
``display`` is alpha2's ``label``, an aggregate's ``flows`` its ``functions``, a mapping's
``target`` its ``targetName``, and imports say ``from`` where alpha2 said ``location``.
``to_builder_shape`` rewrites a beta4 document into the alpha2 shape (the key becomes ``name``),
so one builder, one model and one runner serve both; alpha documents pass through untouched.

The builder's issues name alpha2-shaped fields (``tools[2].label``); ``beta4_path`` turns one
back into the field of the file as written (``tools.get-ship.display``).

A beta4 file may still write a named collection as an alpha2 list: the reference reads it, so
this does too, with a warning. Lists stay lists where beta4 kept them (``consumes``,
``exposes``, ``aggregates``, ``binds``, ``mappings``, prompt ``template``, a ``call``'s
``outputParameters``, a lookup's field names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .issues import FieldPath, SpecIssue

BETA4 = "1.0.0-beta4"
SECTIONS = ("consumes", "exposes", "aggregates", "binds")
"""What a beta4 file may hold at its root instead of a capability (a shared section file)."""
RENAMED = {"label": "display", "functions": "flows", "targetName": "target", "location": "from"}
"""alpha2 field -> its beta4 name (for turning issue paths back into the file's fields)."""


def is_beta4(raw: Any) -> bool:
    return isinstance(raw, Mapping) and "ikanos" in raw


def is_section_file(raw: Any) -> bool:
    """A shared file (imported, never served): beta4 root sections without a capability, or an
    alpha2 root ``consumes`` without one."""
    if not isinstance(raw, Mapping) or "capability" in raw:
        return False
    return any(s in raw for s in SECTIONS) if is_beta4(raw) else "consumes" in raw


def to_builder_shape(raw: Any) -> tuple[Any, list[SpecIssue]]:
    """The document in the alpha2 shape, and warnings about the file as written (a legacy list
    where beta4 has a map). Anything not a beta4 document is returned as it is."""
    if not is_beta4(raw):
        return raw, []
    shape = _Shape()
    out = dict(raw)
    if isinstance(raw.get("info"), Mapping):
        out["info"] = _display(raw["info"])
    for section in SECTIONS:
        if section in raw:
            out[section] = shape.section(section, raw[section], (section,))
    cap = raw.get("capability")
    if isinstance(cap, Mapping):
        out["capability"] = {
            **cap,
            **{s: shape.section(s, cap[s], ("capability", s)) for s in SECTIONS if s in cap},
        }
    return out, shape.issues


def beta4_path(raw: Any, path: FieldPath) -> FieldPath:
    """An alpha2-shaped field path -> the same field in the beta4 document ``raw`` as written:
    list indices into keyed maps become the keys, renamed fields their beta4 names."""
    node: Any = raw
    out: list[str | int] = []
    for index, part in enumerate(path):
        if isinstance(node, Mapping):
            if isinstance(part, int):
                keys = list(node)
                if part >= len(keys):
                    return (*out, *path[index:])
                part = keys[part]
            elif part not in node and RENAMED.get(part) in node:
                part = RENAMED[part]
            elif part == "name" and index == len(path) - 1:
                return tuple(out)  # a keyed entry's name is its key
            out.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        else:
            return (*out, *path[index:])
    return tuple(out)


def _display(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(raw)
    if "display" in out and "label" not in out:
        out["label"] = out["display"]
    return out


class _Shape:
    """One rewrite, collecting its warnings (paths as the file writes them)."""

    def __init__(self) -> None:
        self.issues: list[SpecIssue] = []

    def keyed(self, value: Any, path: FieldPath, what: str, key: str = "name") -> Any:
        """``{k: {...}}`` -> ``[{name: k, ...}]``; a list (the alpha2 form) is kept, with a warning."""
        if isinstance(value, Mapping):
            return [{**item, key: name} if isinstance(item, Mapping) else item for name, item in value.items()]
        if isinstance(value, list) and value:
            self.issues.append(
                SpecIssue(
                    "warning",
                    path,
                    f"beta4 writes {what} as a map keyed by {key}, not a list (the alpha2 form, read as written)",
                )
            )
        return value

    def each(self, items: Any, path: FieldPath, rewrite: Any) -> Any:
        """Apply ``rewrite(item, path)`` to each mapping of an (already listed) collection."""
        if not isinstance(items, list):
            return items
        return [rewrite(item, (*path, i)) if isinstance(item, Mapping) else item for i, item in enumerate(items)]

    def section(self, section: str, value: Any, path: FieldPath) -> Any:
        if section == "aggregates" and isinstance(value, Mapping):
            value = self.keyed(value, path, "aggregates", key="namespace")
        if not isinstance(value, list):
            return value
        rewrites: dict[str, Callable[[Mapping[str, Any], FieldPath], Any]] = {
            "consumes": self.consumes,
            "exposes": self.exposes,
            "aggregates": self.aggregate,
            "binds": lambda item, _: dict(item),
        }
        rewrite = rewrites[section]
        return self.each(value, path, lambda item, p: item if _is_import(item) else rewrite(item, p))

    # -- consumes ------------------------------------------------------------------------
    def consumes(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = dict(raw)
        self._params(out, path)
        out["resources"] = self.each(
            self.keyed(raw.get("resources"), (*path, "resources"), "consumed resources"),
            (*path, "resources"),
            self._consumed_resource,
        )
        return out

    def _consumed_resource(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        self._params(out, path)
        out["operations"] = self.each(
            self.keyed(raw.get("operations"), (*path, "operations"), "operations"),
            (*path, "operations"),
            self._consumed_operation,
        )
        return out

    def _consumed_operation(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        self._params(out, path)
        if "outputParameters" in raw:
            out["outputParameters"] = self.keyed(
                raw["outputParameters"], (*path, "outputParameters"), "consumed outputParameters"
            )
        return out

    def _params(self, out: dict[str, Any], path: FieldPath) -> None:
        if "inputParameters" in out:
            out["inputParameters"] = self.keyed(out["inputParameters"], (*path, "inputParameters"), "inputParameters")

    # -- exposes -------------------------------------------------------------------------
    def exposes(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = dict(raw)
        kind = raw.get("type")
        if kind == "rest":
            out["resources"] = self.each(
                self.keyed(raw.get("resources"), (*path, "resources"), "REST resources"),
                (*path, "resources"),
                self._rest_resource,
            )
        elif kind == "mcp":
            for field, what in (("tools", "MCP tools"), ("resources", "MCP resources")):
                if field in raw:
                    out[field] = self.each(self.keyed(raw[field], (*path, field), what), (*path, field), self.runnable)
            if "prompts" in raw:
                out["prompts"] = self.each(
                    self.keyed(raw["prompts"], (*path, "prompts"), "MCP prompts"), (*path, "prompts"), self._prompt
                )
        elif kind == "skill":
            out["skills"] = self.each(
                self.keyed(raw.get("skills"), (*path, "skills"), "skills"), (*path, "skills"), self._skill
            )
        return out

    def _rest_resource(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        self._params(out, path)
        if "operations" in raw:
            out["operations"] = self.each(
                self.keyed(raw["operations"], (*path, "operations"), "REST operations"),
                (*path, "operations"),
                self.runnable,
            )
        return out

    def _prompt(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        if "arguments" in raw:
            arguments = self.keyed(raw["arguments"], (*path, "arguments"), "prompt arguments")
            out["arguments"] = self.each(arguments, (*path, "arguments"), lambda item, _: _display(item))
        return out

    def _skill(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = dict(raw)
        if "tools" in raw:
            out["tools"] = self.keyed(raw["tools"], (*path, "tools"), "skill tools")
        return out

    # -- aggregates ----------------------------------------------------------------------
    def aggregate(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        if "flows" in raw:
            flows = self.keyed(raw["flows"], (*path, "flows"), "aggregate flows")
            out.pop("flows")
            out["functions"] = self.each(flows, (*path, "flows"), self.runnable)
        elif "functions" in raw:
            self.issues.append(SpecIssue("warning", (*path, "functions"), "beta4 calls an aggregate's functions flows"))
            out["functions"] = self.each(raw["functions"], (*path, "functions"), self.runnable)
        return out

    # -- what runs: a REST operation, a tool, an MCP resource, a flow -------------------------
    def runnable(self, raw: Mapping[str, Any], path: FieldPath) -> dict[str, Any]:
        out = _display(raw)
        self._params(out, path)
        if "steps" in raw:
            out["steps"] = self.keyed(raw["steps"], (*path, "steps"), "steps")
        outputs = raw.get("outputParameters")
        if isinstance(outputs, Mapping) and "call" not in raw and "ref" not in raw:
            # orchestrated and mock outputs are named (a call's stay one unnamed list)
            out["outputParameters"] = [
                _named_items({**o, "name": k}) if isinstance(o, Mapping) else o for k, o in outputs.items()
            ]
        return out


def _is_import(item: Any) -> bool:
    return isinstance(item, Mapping) and ("import" in item or "from" in item) and "baseUri" not in item


def _named_items(output: dict[str, Any]) -> dict[str, Any]:
    """An orchestrated array output's ``items`` keyed by field (``{fullName: {type: string}}``) ->
    the alpha2 list of named fields; ``items`` that is itself one typed output stays as it is."""
    items = output.get("items")
    if isinstance(items, Mapping) and not isinstance(items.get("type"), str):
        output["items"] = [_named_items({**v, "name": k}) if isinstance(v, Mapping) else v for k, v in items.items()]
    properties = output.get("properties")
    if isinstance(properties, Mapping):
        output["properties"] = {
            k: _named_items(dict(v)) if isinstance(v, Mapping) else v for k, v in properties.items()
        }
    return output
