"""What an exposed operation takes as input, derived once at load (pure).

Real files often declare no inputs on the exposed side (the whole 2026-05-19 dialect): the inputs
are then derived from the ``with`` references (``rest.x`` / ``tools.x``) and typed by the
consumed parameter they feed. REST and MCP both read the one derivation, so an input means the
same thing over both protocols. In order:

1. declared ``inputParameters`` (a static ``value`` makes an input the caller does not give;
   ``value: $.a.b`` reads it from the JSON body; on REST no ``in`` means the body);
2. inputs the ``with`` entries, templates and body templates refer to;
3. a flat call that maps nothing takes the consumed parameters as they are;
4. a consumed parameter nothing feeds is an optional input of its own name, and a consumed
   path placeholder nothing feeds a required one (issue 9: they used to be refused or sent empty);
5. on REST, every placeholder of the exposed path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

from .model import CallStep, Input, InputRef, Param, Plan
from .reader import TYPES
from .templates import Template, body_templates, compile_path


def derive_inputs(
    kind: str,
    params: Sequence[Param],
    plan: Plan,
    *,
    rest_path: str = "",
    qualifiers: Collection[str] = (),
    variables: Collection[str] = (),
) -> tuple[Input, ...]:
    """The operation's inputs, declared ones first. ``qualifiers`` name its inputs in templates
    (``rest``, ``tools``, its namespace); ``variables`` are bind variables (never inputs)."""
    found: dict[str, Input] = {}
    path_params = {v.name.lower(): v.name for v in compile_path(rest_path).variables} if kind == "rest" else {}

    def add(item: Input) -> None:
        found.setdefault(item.name.lower(), item)

    for param in params:
        add(_declared(param, kind, path_params))
    for step in plan.calls:
        for item in _referenced(step, qualifiers):
            add(item)
    for lookup in plan.steps:
        if not isinstance(lookup, CallStep) and isinstance(lookup.value, InputRef):
            add(Input(lookup.value.name, "string", False))
    for mapping in plan.mappings:
        if isinstance(mapping.value, InputRef):
            add(Input(mapping.value.name, "string", False))
    flat = len(plan.steps) == 1 and not plan.orchestrated
    for step in plan.calls:
        unmapped = flat and not step.with_ and not params
        for item in _unfed(step, set(found), variables, pass_through=unmapped, optional_params=flat):
            add(item)
    for original in path_params.values():  # a REST path placeholder is always an input
        add(Input(original, "string", True, "", "path"))
    return tuple(_rest_location(i, path_params) if kind == "rest" else i for i in found.values())


def _declared(param: Param, kind: str, path_params: Mapping[str, str]) -> Input:
    kind_of = _type(param.type)
    static = param.value if param.value is not None and param.body_path is None else None
    location = param.location
    if kind == "rest" and location is None:
        location = "path" if param.name.lower() in path_params else "body"
    if param.body_path is not None:
        location = "body"
    location = location or "query"
    required = (param.required or location == "path") and static is None
    items = param.items if kind_of == "array" else None
    enum = param.enum if kind_of == "string" else ()
    return Input(param.name, kind_of, required, param.description, location, param.body_path, static, items, enum)


def _referenced(step: CallStep, qualifiers: Collection[str]) -> Iterator[Input]:
    consumed = step.operation
    placeholders = {v.name.lower() for v in consumed.path.variables}
    for key, value in step.with_.items():
        if isinstance(value, InputRef):
            yield _from_consumed(value.name, key, consumed.param(key), placeholders)
        elif isinstance(value, Template):
            for name in _template_inputs(value, qualifiers):
                yield Input(name, "string", False)
    if consumed.body is not None:
        for template in body_templates(consumed.body.data):
            for name in _template_inputs(template, qualifiers):
                yield Input(name, "string", False)


def _unfed(
    step: CallStep, known: set[str], variables: Collection[str], *, pass_through: bool, optional_params: bool
) -> Iterator[Input]:
    """Inputs for what nothing feeds: path placeholders (required) and, on a flat call, parameters."""
    consumed = step.operation
    fed = {k.lower() for k in step.with_} | known
    placeholders = {v.name.lower() for v in consumed.path.variables}
    for var in consumed.path.variables:
        param = consumed.param(var.name)
        if var.qualifier is not None or var.name in variables or (param is not None and param.value is not None):
            continue
        if var.name.lower() not in fed:
            fed.add(var.name.lower())
            yield _from_consumed(var.name, var.name, param, placeholders)
    if not optional_params:
        return
    for param in consumed.params:
        if param.name.lower() in fed or param.value is not None or param.name.lower() == "authorization":
            continue
        if param.location not in ("query", "header", "cookie", "body", "path"):
            continue
        item = _from_consumed(param.name, param.name, param, placeholders)
        # Issue 9: "takes the caller's input of the same name when there is one, and is otherwise
        # not sent" - unless nothing is mapped at all, when the consumed parameters are the inputs.
        yield item if pass_through or item.location == "path" else _optional(item)


def _optional(item: Input) -> Input:
    return Input(item.name, item.type, False, item.description, item.location, item.body_path, item.static)


def _from_consumed(name: str, key: str, target: Param | None, placeholders: set[str]) -> Input:
    in_path = key.lower() in placeholders or (target is not None and target.location == "path")
    location = "body" if target is not None and target.location == "body" else "path" if in_path else "query"
    if target is not None and target.location in ("header", "cookie"):
        location = target.location
    whole_body = location == "body" and key.lower() == "body"
    kind = _type(target.type if target else None, "object" if whole_body else "string")
    required = bool(target and target.required) or in_path
    # A consumed body field is read from the body field of the input's name (REST).
    return Input(name, kind, required, target.description if target else "", location)


def _rest_location(item: Input, path_params: Mapping[str, str]) -> Input:
    """On REST, a path placeholder's input comes from the path whatever the consumed side says."""
    original = path_params.get(item.name.lower())
    if original is not None:
        kind = item.type if item.type not in ("object", "array") else "string"
        return Input(original, kind, True, item.description, "path")
    if item.location == "path":  # consumed path value not in the exposed path: a query input
        return Input(item.name, item.type, item.required, item.description, "query")
    return item


def _type(kind: str | None, default: str = "string") -> str:
    return kind if kind in TYPES else default


def _template_inputs(template: Template, qualifiers: Collection[str]) -> Iterator[str]:
    for var in template.variables:
        if var.qualifier in qualifiers:
            yield var.name
