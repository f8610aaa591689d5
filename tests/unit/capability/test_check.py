"""Load-time and validate-time problems are reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.cli import main
from naftiko_lambda.errors import SpecError

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


def test_dangling_call_names_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, call="up.nope")
    with pytest.raises(SpecError) as err:
        load_capability(file)
    assert err.value.line == 26
    assert "call target 'up.nope' does not exist" in str(err.value)
    assert main(["validate", "--no-schema", str(file)]) == 1
    assert f"{file}:26: capability.exposes[0].resources[0].operations[0].call: call target" in capsys.readouterr().out


def test_unsupported_auth_type_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="outbound authentication type 'oauth1' is not supported"):
        load_capability(_write(tmp_path, auth="{type: oauth1}"))


def test_duplicate_tool_names_are_an_error(tmp_path: Path) -> None:
    extra = "    - name: get-thing\n      description: again\n      call: up.get-thing\n      with: {id: tools.id}"
    file = tmp_path / "cap.yaml"
    file.write_text(
        GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="").rstrip() + "\n" + extra + "\n"
    )
    with pytest.raises(SpecError, match="duplicate tool name 'get-thing'"):
        load_capability(file)


def test_placeholder_without_source_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "cap.yaml"
    file.write_text(
        GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="").replace(
            "id: rest.id", "other: rest.x"
        )
    )
    with pytest.raises(SpecError, match=r"path placeholder \{id\} of up.get-thing has no source"):
        load_capability(file)


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
    root = Path(__file__).resolve().parents[3] / "capabilities"
    assert main(["validate", *map(str, sorted(root.glob("*.yaml")))]) == 0


def test_tool_without_mapping_takes_the_consumed_parameters(tmp_path: Path) -> None:
    """No with: and no inputParameters: the consumed parameters are the inputs, path ones included."""
    file = tmp_path / "cap.yaml"
    text = GOOD.format(auth="{type: bearer, token: x}", call="up.get-thing", extra="")
    file.write_text(text.replace("      with:\n        id: tools.id\n", ""))
    tool = load_capability(file).tools[0]
    assert tool.with_ == {}
    from naftiko_lambda.exposes.inputs import derive_inputs

    assert [(i.name, i.required) for i in derive_inputs(tool)] == [("id", True)]
