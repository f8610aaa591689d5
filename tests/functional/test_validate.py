"""Load-time and validate-time problems are reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.cli import main
from naftiko_lambda.errors import SpecError

from ..conftest import SEED_FILES

GOOD = """naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: https://api.example.com
    authentication: {auth}
    resources:
    - name: things
      path: /things/{{id}}
      operations:
      - name: get-thing
        method: GET
        inputParameters:
        - name: id
          in: path
  exposes:
  - type: rest
    port: 8080
    namespace: up-rest
    resources:
    - path: /things/{{id}}
      operations:
      - method: GET
        name: get-thing
        call: {call}
        with:
          id: rest.id
  - type: mcp
    namespace: up-mcp
    port: 9090
    tools:
    - name: get-thing
      description: d
      call: up.get-thing
      with:
        id: tools.id
{extra}
"""


def _write(
    tmp_path: Path, auth: str = "{type: bearer, token: '{{env.T}}'}", call: str = "up.get-thing", extra: str = ""
) -> Path:
    file = tmp_path / "cap.yaml"
    file.write_text(GOOD.format(auth=auth, call=call, extra=extra))
    return file


def test_good_file_loads_and_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path)
    assert load_capability(file).rest_operations[0].name == "get-thing"
    assert main(["validate", str(file)]) == 0
    out = capsys.readouterr().out
    assert "variable env.T is not declared in binds" in out  # a warning does not fail
    assert "ok (0 errors, 1 warnings)" in out


def test_dangling_call_leaves_the_operation_out_and_fails_strict_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken operation is not served; the rest of the file is, and validate names the line."""
    file = _write(tmp_path, call="up.nope")
    capability = load_capability(file)
    assert capability.rest_operations == () and [t.name for t in capability.tools] == ["get-thing"]
    assert capability.unserved == (
        "capability.exposes[0].resources[0].operations[0].call: call target 'up.nope' does not exist among the consumed operations",
    )
    assert main(["validate", "--no-schema", str(file)]) == 0  # the loader serves the rest: so does validate
    assert main(["validate", "--no-schema", "--strict", str(file)]) == 1
    out = capsys.readouterr().out
    assert f"{file}:26: capability.exposes[0].resources[0].operations[0].call: call target" in out
    assert "[unserved]" in out


def test_unsupported_auth_type_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="outbound authentication type 'aws-sig-v4' is not supported"):
        load_capability(_write(tmp_path, auth="{type: aws-sig-v4}"))


def test_duplicate_tool_names_serve_the_first_and_fail_strict_validate(tmp_path: Path) -> None:
    extra = "    - name: get-thing\n      description: again\n      call: up.get-thing\n      with: {id: tools.id}"
    file = tmp_path / "cap.yaml"
    file.write_text(
        GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="").rstrip() + "\n" + extra + "\n"
    )
    capability = load_capability(file)
    assert [t.description for t in capability.tools] == ["d"]
    assert "duplicate tool name 'get-thing'" in capability.unserved[0]
    assert main(["validate", "--no-schema", "--strict", str(file)]) == 1


def test_rest_path_placeholder_is_a_source_and_an_unfed_one_is_an_implicit_input(tmp_path: Path) -> None:
    """Issue 9 item 1: files were refused although the exposed path carries the value."""
    file = tmp_path / "cap.yaml"
    text = GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="")
    file.write_text(
        text.replace("id: rest.id", "other: rest.x").replace("        id: tools.id\n", "        other: tools.x\n")
    )
    capability = load_capability(file)
    rest, tool = capability.rest_operations[0], capability.tools[0]
    assert [(i.name, i.location, i.required) for i in rest.inputs if i.name == "id"] == [("id", "path", True)]
    assert ("id", "string", True) in [(i.name, i.type, i.required) for i in tool.inputs]
    assert main(["validate", "--no-schema", str(file)]) == 0


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("naftiko: 1.0.0-alpha2\ncapability: [\n")
    with pytest.raises(SpecError) as err:
        load_capability(file)
    assert err.value.line is not None and "invalid YAML" in str(err.value)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the file"):
        load_capability(tmp_path / "missing.yaml")


def test_compile_cache_is_used_and_never_stale(tmp_path: Path) -> None:
    file = _write(tmp_path)
    assert main(["compile", str(file)]) == 0
    cached = list((tmp_path / ".naftiko-cache").glob("cap-*.json"))
    assert len(cached) == 1
    # Edit the spec: the old cache entry no longer matches its hash and is ignored.
    file.write_text(file.read_text().replace("description: d", "description: changed"))
    assert load_capability(file).tools[0].description == "changed"


def test_seeds_validate_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", *map(str, SEED_FILES)]) == 0


def test_tool_without_mapping_takes_the_consumed_parameters(tmp_path: Path) -> None:
    """No with: and no inputParameters: the consumed parameters are the inputs, path ones included."""
    file = tmp_path / "cap.yaml"
    text = GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="")
    file.write_text(text.replace("      with:\n        id: tools.id\n", ""))
    tool = load_capability(file).tools[0]
    assert tool.plan.calls[0].with_ == {}
    assert [(i.name, i.required) for i in tool.inputs] == [("id", True)]
