"""capability/templates.py: every placeholder form of the format, and what is made from them."""

from __future__ import annotations

import pytest
from naftiko_lambda.capability.templates import (
    Var,
    body_templates,
    compile_path,
    compile_template,
    fill,
    has_identifier_placeholders_only,
    route_key,
    route_path,
    uri_pattern,
)


def test_a_template_is_text_and_variables() -> None:
    assert compile_template("Bearer {{env.TOKEN}}").parts == ("Bearer ", Var("env", "TOKEN"))
    assert compile_template("{{ $this.ns.x }}").single_var == Var("ns", "x")
    assert compile_template("{x} stays text").variables == ()


def test_paths_take_both_dialects() -> None:
    assert compile_path("/a/{id}/b/{{other}}").variables == (Var(None, "id"), Var(None, "other"))


@pytest.mark.parametrize(
    ("spec", "route", "key"),
    [("/a/{{id}}/b/{x}/", "/a/{id}/b/{x}", "/a/{}/b/{}"), ("things", "/things", "things"), ("/", "/", "")],
)
def test_routes_and_their_collision_keys(spec: str, route: str, key: str) -> None:
    assert route_path(spec) == route
    assert route_key(spec) == key


def test_two_spellings_of_one_route_share_a_key() -> None:
    assert route_key("/A/{id}") == route_key("/a/{{other}}/")


def test_a_uri_template_matches_its_values() -> None:
    pattern, names = uri_pattern("data://users/{userId}/profile")
    found = pattern.fullmatch("data://users/42/profile")
    assert names == ["userId"] and found is not None and found.groups() == ("42",)
    assert pattern.fullmatch("data://users/4/2/profile") is None


def test_fill_replaces_each_variable() -> None:
    assert fill(compile_path("https://{region}.x/{{v}}"), lambda var: var.name.upper()) == "https://REGION.x/V"


@pytest.mark.parametrize(
    ("path", "ok"),
    [("/a/{id}/b", True), ("/a/{env.X}", False), ("/a/{{x}}", False), ("/a/}x", False), ("/a/{ id }", False)],
)
def test_only_identifier_placeholders(path: str, ok: bool) -> None:
    assert has_identifier_placeholders_only(path) is ok


def test_body_templates_walk_a_json_tree_without_recursion() -> None:
    deep: object = "{{x}}"
    for _ in range(5000):
        deep = [deep]
    assert [t.variables for t in body_templates({"a": deep, "b": "plain", "c": ["{{y}}"]})] == [
        (Var(None, "x"),),
        (Var(None, "y"),),
    ]
