"""runner/scope.py: what a template sees; an omitted input is never a credential; outputs never read binds."""

from __future__ import annotations

from naftiko_lambda.capability.templates import Var, compile_template
from naftiko_lambda.consumes.values import MISSING
from naftiko_lambda.credentials import CredentialSource
from naftiko_lambda.runner.scope import make_scope

from ...support.capabilities import capability


def _scope(inputs: dict[str, object], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    cap = capability(with_={"id": "tools.id", "q": "tools.q"})
    tool = cap.tools[0]
    return make_scope(cap, tool.plan, inputs, CredentialSource(env or {}), [i.name for i in tool.inputs])


def test_qualified_and_bare_names_read_inputs_first() -> None:
    scope = _scope({"id": 7}, {"id": "from-env"})
    assert scope.resolve(Var("tools", "id")) == 7 and scope.resolve(Var(None, "id")) == 7


def test_an_input_left_out_is_missing_not_a_credential() -> None:
    scope = _scope({}, {"q": "from-env"})
    assert scope.resolve(Var(None, "q")) is MISSING


def test_bind_qualifiers_read_credentials() -> None:
    scope = _scope({}, {"API_TOKEN": "tok"})
    assert scope.resolve(Var("env", "API_TOKEN")).reveal() == "tok"
    assert scope.render(compile_template("Bearer {{env.API_TOKEN}}")) == "Bearer tok"


def test_what_goes_back_to_the_caller_never_reads_a_bind() -> None:
    scope = _scope({"id": 1}, {"API_TOKEN": "tok"}).without_credentials()
    assert scope.mustache(compile_template("id {{id}} token {{env.API_TOKEN}}")) == "id 1 token "


def test_a_single_variable_keeps_its_type() -> None:
    assert _scope({"id": [1, 2]}).value(compile_template("{{id}}")) == [1, 2]
