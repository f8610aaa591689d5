"""`naftiko-lambda import openapi`: import, validate, load, and call every operation for real.

Each round trip imports a document into a capabilities folder, checks `validate` finds no error,
then calls every imported operation through the REST handler and every tool through the MCP
handler against a loopback upstream. Each request the upstream receives is judged by
openapi-core against the source document (method, path template, parameters and their place,
security, body shape), and each answer is an example of the document's 2xx response, which must
come back through both protocols as the capability's outputs say.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml
from mcp import Client
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.capability.model import Capability, ExposedOperation
from naftiko_lambda.cli import main
from naftiko_lambda.cli.validate import issues_of
from naftiko_lambda.settings import base_uri_variable

from ..conftest import CAPABILITIES, CORPUS
from ..support.deployment import Deployment
from ..support.openapi_check import RequestJudge, deref, merged, sample, satisfiable
from ..support.upstream import Received, Reply, UpstreamServer

FIXTURES = CORPUS / "naftiko-framework-v1.0.0-alpha2" / "src" / "test" / "resources" / "openapi"
SUGER = CORPUS.parent / "openapi" / "suger-openapi.yml"
SWAGGER = ("petstore-2.0.yaml", "petstore-swagger2-full.json")
OPENAPI_3 = ("complex-api.yaml", "no-operation-ids.yaml", "no-servers.yaml", "petstore-3.0.yaml", "petstore-3.1.yaml")
OPENAPI_FIXTURES = sorted({*(f.name for f in FIXTURES.glob("*")), *SWAGGER, *OPENAPI_3})


def require(path: Path) -> None:
    """Skip without the shared data locally; in CI its absence is a failure (as for the corpus run)."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must run the import round trips")
        pytest.skip(f"{path} is not beside the project")


def import_into(folder: Path, source: Path, *options: str) -> list[Path]:
    assert main(["import", "openapi", str(source), "-o", str(folder), *options]) == 0
    files = sorted(folder.glob("*.yaml"))
    for file in files:
        failing = [i for i in issues_of(file) if i.fails_strict]
        assert not failing, failing
    return files


# -- the round trip -----------------------------------------------------------------------------


class RoundTrip:
    """Calls of every operation of the capabilities in ``folder``, judged against ``document``."""

    def __init__(self, folder: Path, document: Mapping[str, Any], upstream: UpstreamServer) -> None:
        self.document = document
        self.upstream = upstream
        base_path = _base_path(document)
        self.judge = RequestJudge(document, upstream.url + base_path)
        self.capabilities = [load_capability(f) for f in sorted(folder.glob("*.yaml"))]
        environ = {}
        for capability in self.capabilities:
            for namespace in capability.consumes:
                environ[base_uri_variable(namespace)] = upstream.url + base_path
            environ.update({key: f"secret-{key.lower()}" for key in capability.binds})
        self.deployment = Deployment(folder, upstream.url, environ)

    def case(self, op: ExposedOperation) -> tuple[dict[str, Any], Reply, Any]:
        """(arguments for every input, the upstream's answer, the result the caller must get)."""
        consumed = op.call
        assert consumed is not None
        path = "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in consumed.path.parts)
        raw = self.document["paths"][path][consumed.method.lower()]
        schemas = _input_schemas(self.document, self.document["paths"][path], raw)
        arguments = {
            i.name: sample(self.document, schemas[i.name.lower()])
            for i in op.inputs
            if i.static is None and (i.required or satisfiable(self.document, schemas[i.name.lower()]))
        }
        reply, answer = _answer(self.document, raw)
        return arguments, reply, _expected(op, answer)

    def check_received(self, label: str, before: int) -> None:
        received = self.upstream.received[before:]
        assert len(received) == 1, f"{label}: the upstream got {len(received)} requests"
        errors = self.judge.errors(received[0])
        assert not errors, f"{label}: {received[0].method} {received[0].target}: {errors}"

    def call_rest(self, capability: Capability, op: ExposedOperation) -> None:
        arguments, reply, expected = self.case(op)
        path, query, headers, body = op.path, {}, {}, None
        for item in op.inputs:
            if item.name not in arguments:
                continue
            value = arguments[item.name]
            if item.location == "path":
                path = path.replace("{" + item.name + "}", quote(str(value), safe=""))
            elif item.location == "query":
                query[item.name] = [_text(v) for v in value] if isinstance(value, list) else _text(value)
            elif item.location in ("header", "cookie"):
                headers[item.name] = _text(value)  # REST reads cookies' inputs from headers too
            elif item.name.lower() == "body":
                body = value
            else:
                body = {**(body or {}), item.name: value}
        self.upstream.reply(reply)
        before = len(self.upstream.received)
        response = self.deployment.rest(capability.name, op.method, path, query=query, body=body, headers=headers)
        label = f"REST {capability.name} {op.method} {op.path}"
        assert 200 <= response.status < 300, f"{label}: {response.status} {response.json}"
        self.check_received(label, before)
        assert response.json == expected, label

    def call_tools(self, capability: Capability) -> int:
        cases = [(tool, *self.case(tool)) for tool in capability.tools]

        async def scenario(client: Client) -> int:
            for tool, arguments, reply, expected in cases:
                self.upstream.reply(reply)
                before = len(self.upstream.received)
                result = await client.call_tool(tool.name, arguments)
                label = f"MCP {capability.name} {tool.name}"
                assert not result.is_error, f"{label}: {result.content}"
                self.check_received(label, before)
                text = result.content[0].text
                # A text result is sent as its own text; anything else as JSON.
                got = text if isinstance(expected, str) else json.loads(text)
                assert got == expected, label
            return len(cases)

        return self.deployment.mcp(scenario, path=f"/mcp/{capability.name}")

    def run(self) -> tuple[int, int]:
        rest = tools = 0
        for capability in self.capabilities:
            for op in capability.rest_operations:
                self.call_rest(capability, op)
                rest += 1
            tools += self.call_tools(capability)
        return rest, tools


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _base_path(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{}]
    url = str(servers[0].get("url", ""))
    path = urlsplit(url).path if "://" in url else url
    return path.rstrip("/")


def _input_schemas(document: Mapping[str, Any], item: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Each input's schema in the document: a parameter's, a body property's, or the whole body's."""
    out: dict[str, Any] = {}
    for param in [*item.get("parameters", []), *raw.get("parameters", [])]:
        param = deref(document, param)
        out[param["name"].lower()] = param.get("schema", {"type": "string"})
    body = deref(document, raw.get("requestBody") or {})
    for media in (body.get("content") or {}).values():
        schema = merged(document, media.get("schema", {}))
        out["body"] = schema
        for name, prop in (schema.get("properties") or {}).items():
            out.setdefault(name.lower(), prop)
        break
    return out


def _answer(document: Mapping[str, Any], raw: Mapping[str, Any]) -> tuple[Reply, Any]:
    """The upstream's reply (an example of the first 2xx response) and the value it decodes to."""
    for code in sorted(str(c) for c in raw.get("responses", {}) if str(c).startswith("2")):
        status = int(code) if code.isdigit() else 200
        answer = deref(document, raw["responses"][code])
        for media, content in (answer.get("content") or {}).items():
            value = sample(document, content.get("schema", {}), writing=False)
            if "json" in media or media == "*/*":
                return Reply(status, json.dumps(value)), value
            return Reply(status, str(value), {"Content-Type": media}), str(value)
        return Reply(status, b"", {}), None
    return Reply(200, b"", {}), None


def _expected(op: ExposedOperation, answer: Any) -> Any:
    """The result the outputs make of ``answer``: one level of named fields, or the answer itself."""
    output = op.plan.outputs[0]
    if output.type == "object" and output.properties:
        return {name: answer.get(name) for name, _ in output.properties}
    if output.type == "array" and output.items is not None:
        return [{name: item.get(name) for name, _ in output.items.properties} for item in answer]
    return answer


@pytest.mark.parametrize("name", [n for n in OPENAPI_FIXTURES if n not in SWAGGER])
def test_corpus_fixture_round_trip(name: str, tmp_path: Path, upstream: UpstreamServer) -> None:
    source = FIXTURES / name
    require(source)
    import_into(tmp_path / "capabilities", source)
    document = yaml.safe_load(source.read_text())
    operations = sum(
        1 for item in document["paths"].values() for m in item if m in ("get", "put", "post", "delete", "patch")
    )
    rest, tools = RoundTrip(tmp_path / "capabilities", document, upstream).run()
    assert (rest, tools) == (operations, operations)


@pytest.mark.suger
def test_suger_round_trip_split_by_tag(tmp_path: Path, upstream: UpstreamServer) -> None:
    """Suger's 106 operations in 11 tag files; the multipart upload is the one left out."""
    require(SUGER)
    files = import_into(tmp_path / "capabilities", SUGER, "--namespace", "suger", "--split-by-tag")
    assert len(files) == 11
    document = yaml.load(SUGER.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    rest, tools = RoundTrip(tmp_path / "capabilities", document, upstream).run()
    assert (rest, tools) == (105, 105)


@pytest.mark.suger
def test_suger_metering_covers_the_seed(tmp_path: Path) -> None:
    """The Metering tag imports to the same upstream surface as the seed suger-metering.yaml."""
    require(SUGER)
    (file,) = import_into(tmp_path, SUGER, "--namespace", "suger", "--split-by-tag", "--include-tag", "Metering")
    assert file.name == "suger-metering.yaml"

    def surface(capability: Capability) -> set[tuple[str, str]]:
        return {
            (op.method, "".join(p if isinstance(p, str) else "{}" for p in op.path.parts))
            for consumes in capability.consumes.values()
            for op in consumes.operations.values()
        }

    imported, seed = load_capability(file), load_capability(CAPABILITIES / "suger-metering.yaml")
    assert surface(imported) == surface(seed)
    assert len(imported.tools) == len(seed.tools) == 13


def test_the_judge_refuses_what_the_document_does_not_allow() -> None:
    """The round trips are only as strict as the judge: a wrong method, a missing required path
    value and a body of the wrong shape are each refused by openapi-core."""
    require(FIXTURES / "petstore-3.0.yaml")
    document = yaml.safe_load((FIXTURES / "petstore-3.0.yaml").read_text())
    judge = RequestJudge(document, "http://127.0.0.1:9/v1")
    auth = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    good = Received("POST", "/v1/pets", auth, json.dumps({"name": "rex"}).encode())
    assert judge.errors(good) == []
    assert judge.errors(Received("PATCH", "/v1/pets", auth, b"{}"))
    assert judge.errors(Received("GET", "/v1/pets/", auth, b""))
    assert judge.errors(Received("POST", "/v1/pets", auth, json.dumps({"name": 7}).encode()))


# -- the command: stable output, refs across files, bad input -----------------------------------

SMALL = """
openapi: 3.0.3
info: {title: Small API, version: '1'}
servers: [{url: 'https://small.example.com'}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{$ref: 'common.yaml#/components/parameters/Id'}]
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: 'common.yaml#/components/schemas/Thing'}}}
"""
COMMON = """
components:
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: string}, description: The thing}
  schemas:
    Thing: {type: object, properties: {id: {type: string}, next: {$ref: '#/components/schemas/Thing'}}}
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


def test_refs_across_files_next_to_source_are_followed(tmp_path: Path) -> None:
    source = write(tmp_path / "api", small_yaml=SMALL, common_yaml=COMMON) / "small.yaml"
    (file,) = import_into(tmp_path / "out", source)
    (tool,) = load_capability(file).tools
    assert [(i.name, i.type, i.required, i.description) for i in tool.inputs] == [("id", "string", True, "The thing")]
    assert [name for name, _ in tool.plan.outputs[0].properties] == ["id", "next"]


def test_importing_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    source = write(tmp_path / "api", small_yaml=SMALL, common_yaml=COMMON) / "small.yaml"
    first = import_into(tmp_path / "one", source)
    second = import_into(tmp_path / "two", source)
    assert [f.read_bytes() for f in first] == [f.read_bytes() for f in second]


BAD = {
    "unresolvable ref": (
        SMALL,
        "small.yaml#/paths/~1things~1{id}/get/parameters/0/$ref: cannot resolve $ref "
        "'common.yaml#/components/parameters/Id': no such file",
    ),
    "ref to nothing": (
        SMALL.replace("common.yaml#/components/parameters/Id", "#/components/parameters/Nope"),
        "small.yaml#/paths/~1things~1{id}/get/parameters/0/$ref: cannot resolve $ref '#/components/parameters/Nope'",
    ),
    "not openapi": ("just: a mapping\n", "small.yaml: not an OpenAPI document: it has no `openapi` field"),
    "not yaml": (
        "a: [unclosed\n",
        "small.yaml: not YAML or JSON at line 2: ",
    ),
    "swagger": ('{"swagger": "2.0", "paths": {}}', "small.yaml#/swagger: Swagger 2.0 is not supported"),
    "empty paths": (
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "small.yaml#/paths: the paths object is empty: there is no operation to import",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_file_and_pointer_exit_2_and_no_output(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = BAD[case]
    source = write(tmp_path / "api", small_yaml=text) / "small.yaml"
    assert main(["import", "openapi", str(source), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message) and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", SWAGGER)
def test_swagger_2_fixtures_are_refused_with_the_reason(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require(FIXTURES / name)
    assert main(["import", "openapi", str(FIXTURES / name), "-o", str(tmp_path)]) == 2
    assert "no maintained Python library converts it" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_format_beta4_writes_ikanos_files_that_load_to_the_alpha2_model(tmp_path: Path) -> None:
    """Issue 20: ``--format beta4`` writes the same capabilities in Ikanos 1.0.0-beta4 (alpha2 stays
    the default: the seeds, the corpus and every deployed file today are alpha2)."""
    from naftiko_lambda.cli.migrate import model_difference

    require(SUGER)
    (alpha,) = import_into(tmp_path / "alpha2", SUGER, "--namespace", "suger")
    (beta,) = import_into(tmp_path / "beta4", SUGER, "--namespace", "suger", "--format", "beta4")
    text = beta.read_text()
    assert "\nikanos: 1.0.0-beta4\n" in text and "--format beta4" in text and "naftiko:" not in text
    assert model_difference(load_capability(alpha), load_capability(beta)) is None
    assert main(["validate", "--strict", str(beta)]) == 0  # the beta4 schema, relaxed as alpha2's
