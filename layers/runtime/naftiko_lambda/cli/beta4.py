"""A Naftiko alpha1/alpha2 document -> the same capability in Ikanos ``1.0.0-beta4`` (pure).

The inverse of capability/dialects.py, which reads beta4 back into the alpha2 shape: named lists
become maps keyed by the name, ``label`` becomes ``display``, ``functions`` ``flows``,
``targetName`` ``target``, an import's ``location`` ``from``. Lists beta4 kept stay lists (a
``call``'s outputs, ``mappings``, prompt ``template``, a lookup's fields). What the format's
schema no longer has but this runtime reads is kept, as the relaxed beta4 schema allows
(capability/schema.py): a consumed parameter's ``type``/``required``/``description``, a REST
adapter's ``description``, an object output without ``properties``.

Mappings are changed in place, key order kept, so ruamel.yaml's round-trip maps keep their
comments (cli/migrate.py); plain dicts work the same (the importer's ``--format beta4``).

An entry with no name gets the key the runtime would have named it by (a REST operation: its
ref's flow, its call's operation, its resource's name or its method; a resource: its path). A
list that cannot be keyed without changing what is served (an entry the runtime could not name,
two entries of one name) stays a list: beta4 readers take the alpha2 form as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

BETA4 = "1.0.0-beta4"
Map = MutableMapping[str, Any]


def to_beta4(doc: Map) -> list[str]:
    """Rewrite ``doc`` (an alpha1/alpha2 document) as beta4, in place; the notes made on the way.

    A beta4 document is left as it is (no notes).
    """
    if "ikanos" in doc:
        return []
    notes: list[str] = []
    _rename(doc, "naftiko", "ikanos")
    doc["ikanos"] = BETA4
    if isinstance(doc.get("info"), MutableMapping):
        _display(doc["info"])
    rewrite = _Rewrite(notes)
    for section in ("consumes", "exposes", "aggregates", "binds"):
        if isinstance(doc.get(section), list):
            rewrite.section(section, doc[section], section)
    cap = doc.get("capability")
    if isinstance(cap, MutableMapping):
        for section in ("consumes", "exposes", "aggregates", "binds"):
            if isinstance(cap.get(section), list):
                rewrite.section(section, cap[section], f"capability.{section}")
    return notes


# -- in-place edits that keep key order (and a round-trip map's comments) ----------------------


def _rename(m: Map, old: str, new: str) -> None:
    if old not in m or new in m:
        return
    keys = list(m)
    position = keys.index(old)
    value = m.pop(old)
    if hasattr(m, "insert"):  # ruamel's CommentedMap: the key's comment moves with it
        comments = getattr(m, "ca", None)
        m.insert(position, new, value)
        if comments is not None and old in comments.items:
            comments.items[new] = comments.items.pop(old)
        return
    tail = {k: m.pop(k) for k in keys[position + 1 :]}
    m[new] = value
    m.update(tail)


def _replace(m: Map, key: str, value: Any) -> None:
    """Set ``m[key]`` where it is (a new mapping object in place of a list)."""
    m[key] = value


def _new_map(like: Any) -> Map:
    """A mapping of the kind ``like``'s document uses (ruamel's when it is a round-trip list)."""
    module = type(like).__module__
    if module.startswith("ruamel"):
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap()
    return {}


def _display(m: Map) -> None:
    _rename(m, "label", "display")


class _Rewrite:
    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def keyed(
        self,
        items: Any,
        where: str,
        what: str,
        derive: Callable[[Map, int], str] | None = None,
        each: Callable[[Map, str], None] | None = None,
        renamable: bool = False,
    ) -> Any:
        """``[{name: k, ...}]`` -> ``{k: {...}}``. ``derive`` names an entry without a name the way
        the runtime would; ``renamable``: the name is read by nothing, so a second entry of a
        name may become ``<name>-2``. A list beta4 cannot key the same way (an entry the runtime
        could not name, two of one name) stays a list, which beta4 readers take as written."""
        if not isinstance(items, list):
            if isinstance(items, MutableMapping) and each is not None:
                for key, item in items.items():
                    if isinstance(item, MutableMapping):
                        each(item, f"{where}.{key}")
            return items
        keys: list[str] = []
        for index, item in enumerate(items):
            name = item.get("name") if isinstance(item, MutableMapping) else None
            if (not isinstance(name, str) or not name) and derive is not None and isinstance(item, MutableMapping):
                name = derive(item, index)
            if not isinstance(name, str) or not name:
                return self._kept(items, where, each, f"entry [{index}] has no name")
            key = name
            if key in keys:
                if not renamable:
                    return self._kept(items, where, each, f"two {what}s are named {name!r}")
                n = 2
                while f"{name}-{n}" in keys:
                    n += 1
                key = f"{name}-{n}"
                self.notes.append(f"{where}[{index}]: a second {what} named {name!r}; keyed {key!r}")
            elif item.get("name") != name:
                self.notes.append(f"{where}[{index}]: no name; keyed {key!r}")
            keys.append(key)
        out = _new_map(items)
        for key, item in zip(keys, items, strict=True):
            if each is not None:
                each(item, f"{where}.{key}")  # before its name goes: a resource's operations read it
            item.pop("name", None)
            out[key] = item
        return out

    def _kept(self, items: list[Any], where: str, each: Callable[[Map, str], None] | None, why: str) -> list[Any]:
        self.notes.append(f"{where}: kept as a list ({why}; name it to key it)")
        for index, item in enumerate(items):
            if each is not None and isinstance(item, MutableMapping):
                each(item, f"{where}[{index}]")
        return items

    def section(self, section: str, entries: list[Any], where: str) -> None:
        for index, entry in enumerate(entries):
            if not isinstance(entry, MutableMapping):
                continue
            at = f"{where}[{index}]"
            if ("import" in entry or "location" in entry) and "baseUri" not in entry and "keys" not in entry:
                _rename(entry, "location", "from")  # an import entry
            elif section == "consumes":
                self.consumes(entry, at)
            elif section == "exposes":
                self.exposes(entry, at)
            elif section == "aggregates":
                self.aggregate(entry, at)

    # -- consumes ------------------------------------------------------------------------
    def consumes(self, adapter: Map, where: str) -> None:
        self.params(adapter, where)
        if "resources" in adapter:
            _replace(
                adapter,
                "resources",
                self.keyed(
                    adapter["resources"],
                    f"{where}.resources",
                    "resource",
                    derive=_path_key,
                    each=self._consumed_resource,
                    renamable=True,
                ),
            )

    def _consumed_resource(self, resource: Map, where: str) -> None:
        _display(resource)
        self.params(resource, where)
        if "operations" in resource:
            operations = self.keyed(
                resource["operations"], f"{where}.operations", "operation", each=self._consumed_operation
            )
            _replace(resource, "operations", operations)

    def _consumed_operation(self, operation: Map, where: str) -> None:
        _display(operation)
        self.params(operation, where)
        if isinstance(operation.get("outputParameters"), list):
            outputs = self.keyed(operation["outputParameters"], f"{where}.outputParameters", "output")
            _replace(operation, "outputParameters", outputs)

    def params(self, owner: Map, where: str) -> None:
        if isinstance(owner.get("inputParameters"), list):
            params = self.keyed(owner["inputParameters"], f"{where}.inputParameters", "parameter")
            _replace(owner, "inputParameters", params)

    # -- exposes -------------------------------------------------------------------------
    def exposes(self, block: Map, where: str) -> None:
        kind = block.get("type")
        if kind == "rest" and "resources" in block:
            resources = self.keyed(
                block["resources"],
                f"{where}.resources",
                "resource",
                derive=_path_key,
                each=self._rest_resource,
                renamable=True,
            )
            _replace(block, "resources", resources)
        elif kind == "mcp":
            if "tools" in block:
                tools = self.keyed(block["tools"], f"{where}.tools", "tool", derive=_tool_key, each=self.runnable)
                _replace(block, "tools", tools)
            if "resources" in block:
                resources = self.keyed(block["resources"], f"{where}.resources", "resource", each=self.runnable)
                _replace(block, "resources", resources)
            if "prompts" in block:
                _replace(
                    block, "prompts", self.keyed(block["prompts"], f"{where}.prompts", "prompt", each=self._prompt)
                )
        elif kind == "skill" and "skills" in block:
            _replace(block, "skills", self.keyed(block["skills"], f"{where}.skills", "skill", each=self._skill))

    def _rest_resource(self, resource: Map, where: str) -> None:
        _display(resource)
        self.params(resource, where)
        if "operations" in resource:
            named = resource.get("name")

            def derive(operation: Map, index: int) -> str:
                return _operation_key(operation, named if isinstance(named, str) else None)

            operations = self.keyed(
                resource["operations"], f"{where}.operations", "operation", derive=derive, each=self.runnable
            )
            _replace(resource, "operations", operations)

    def _prompt(self, prompt: Map, where: str) -> None:
        _display(prompt)
        if "arguments" in prompt:
            arguments = self.keyed(prompt["arguments"], f"{where}.arguments", "argument", each=lambda a, _: _display(a))
            _replace(prompt, "arguments", arguments)

    def _skill(self, skill: Map, where: str) -> None:
        if "tools" in skill:
            _replace(skill, "tools", self.keyed(skill["tools"], f"{where}.tools", "skill tool"))

    # -- aggregates ----------------------------------------------------------------------
    def aggregate(self, aggregate: Map, where: str) -> None:
        _display(aggregate)
        if "functions" in aggregate:
            flows = self.keyed(aggregate["functions"], f"{where}.functions", "flow", each=self.runnable)
            _replace(aggregate, "functions", flows)
            _rename(aggregate, "functions", "flows")

    # -- what runs -------------------------------------------------------------------------
    def runnable(self, item: Map, where: str) -> None:
        _display(item)
        self.params(item, where)
        if isinstance(item.get("steps"), list):
            steps = self.keyed(item["steps"], f"{where}.steps", "step")
            _replace(item, "steps", steps)
        for mapping in item.get("mappings") or []:
            if isinstance(mapping, MutableMapping):
                _rename(mapping, "targetName", "target")
        outputs = item.get("outputParameters")
        named = "steps" in item or not ({"call", "ref"} & set(item))  # orchestrated or a mock
        if named and isinstance(outputs, list) and all(isinstance(o, MutableMapping) and "name" in o for o in outputs):
            keyed = self.keyed(outputs, f"{where}.outputParameters", "output", each=_named_output)
            _replace(item, "outputParameters", keyed)


def _named_output(output: Map, where: str) -> None:
    """Inside an orchestrated or mock output: ``items`` listing fields -> keyed by field, and a
    property's own ``name`` (its key already) dropped."""
    items = output.get("items")
    if isinstance(items, list) and all(isinstance(i, MutableMapping) and "name" in i for i in items):
        keyed = _new_map(items)
        for item in items:
            keyed[str(item.pop("name"))] = item
            _named_output(item, where)
        _replace(output, "items", keyed)
    elif isinstance(items, MutableMapping):
        _named_output(items, where)
    properties = output.get("properties")
    if isinstance(properties, MutableMapping):
        for key, sub in properties.items():
            if isinstance(sub, MutableMapping):
                if sub.get("name") == key:
                    sub.pop("name")
                _named_output(sub, where)


def _path_key(resource: Map, index: int) -> str:
    """A resource's key from its path's literal segments (``/ships/{{imo}}/crew`` -> ``ships-crew``)."""
    path = str(resource.get("path") or "")
    words = [w for w in re.split(r"[^A-Za-z0-9]+", re.sub(r"\{[^}]*\}+", "", path)) if w]
    return "-".join(words).lower() or f"resource-{index + 1}"  # nothing reads a resource's name


def _operation_key(operation: Map, resource: str | None) -> str:
    """The name the runtime gives an unnamed REST operation (capability/exposes.py): a ``ref``'s
    flow, its call's operation, else its resource's name, else its method."""
    for field in ("ref", "call"):
        target = operation.get(field)
        if isinstance(target, str) and "." in target:
            return target.rsplit(".", 1)[1]
    return resource or str(operation.get("method") or "get").lower()


def _tool_key(tool: Map, index: int) -> str:
    ref = tool.get("ref")
    return ref.rsplit(".", 1)[1] if isinstance(ref, str) and "." in ref else ""  # a ref's tool: its flow's name
