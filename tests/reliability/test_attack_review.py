"""Issue 19, the attack on the first fix: what an outside review of the hardening still got
through, each reproduced here through the real handlers, the importer or serve's guard. Each
test failed on the code it reviewed."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from naftiko_lambda.capability.load import load_capabilities, load_capability
from naftiko_lambda.cli import main
from naftiko_lambda.cli.guard import refusal
from naftiko_lambda.consumes.transport import Urllib3Transport
from naftiko_lambda.errors import SpecError, Unauthorized
from naftiko_lambda.exposes.oauth import ResourceServer, Validator

from ..conftest import ROOT
from ..support.authserver import CLIENT_ID, CLIENT_SECRET, AuthServer
from ..support.deployment import Deployment, write_spec
from ..support.reliability import record
from ..support.upstream import Reply, UpstreamServer

SEED = ROOT / "capabilities" / "m3ter-balances.yaml"
UP = """
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: '{base}'
    resources:
    - {{name: r, path: /x, operations: [{{name: get-x, method: GET, outputRawFormat: {fmt}}}]}}
  exposes:
  - type: mcp
    namespace: up-mcp
    port: 9090
    tools:
    - {{name: get-x, description: d, call: up.get-x}}
{extra}
"""


def _spec(
    folder: Path, name: str = "up.yaml", *, base: str = "https://api.example", fmt: str = "json", extra: str = ""
) -> Path:
    return write_spec(folder, name, UP.format(base=base, fmt=fmt, extra=extra))


def test_served_files_cannot_be_the_capability_folder_or_hidden(tmp_path: Path) -> None:
    """A static resource at `file:///./` served the folder's binds `.env` (the AWS keys in it)."""
    (tmp_path / ".env").write_text("AWS_SECRET_ACCESS_KEY=ROLE-SECRET\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / "docs" / ".hidden").write_text("not for callers\n")
    extra = (
        "    resources:\n"
        "    - {name: all, uri: 'docs://all', location: 'file:///./'}\n"
        "    - {name: docs, uri: 'docs://docs', location: 'file:///docs'}\n"
        "    prompts:\n"
        "    - {name: env, description: d, location: 'file:///.env'}\n"
    )
    capability = load_capability(_spec(tmp_path, extra=extra))
    block = capability.mcp[0]
    assert [r.name for r in block.resources] == ["docs"] and block.prompts == ()
    assert any("not hidden" in u for u in capability.unserved)
    with UpstreamServer() as upstream:

        async def read(client: Any) -> tuple[list[str], str]:
            listed = [str(r.uri) for r in (await client.list_resources()).resources]
            try:
                await client.read_resource("docs://docs/.hidden")
                hidden = "read"
            except Exception as exc:  # the SDK raises the JSON-RPC error
                hidden = type(exc).__name__
            return listed, hidden

        listed, hidden = Deployment(tmp_path, upstream.url).mcp(read, path="/mcp/up")
    assert listed == ["docs://docs/guide.md"] and hidden != "read"
    record(
        "security",
        "MCP static resources and prompts at the folder itself, at .env, at a dotfile",
        3,
        "left out at load / not served",
    )


def test_two_files_that_would_be_one_capability_are_refused(tmp_path: Path) -> None:
    """`m3ter_balances.yaml` beside `m3ter-balances.yaml` read the trusted one's secret."""
    write_spec(tmp_path, "m3ter-balances.yaml", SEED.read_text())
    _spec(tmp_path, "m3ter_balances.yaml")
    with pytest.raises(SpecError, match="would be one capability"):
        load_capabilities(tmp_path)
    assert main(["template", "--capabilities", str(tmp_path), "--output", str(tmp_path / "t.yaml")]) == 1
    assert main(["compile", str(tmp_path)]) == 2
    record(
        "security",
        "two capability files sharing CAPABILITY_SECRET_<NAME> (m3ter_balances beside m3ter-balances)",
        3,
        "refused by the loader, template and compile",
    )


def test_an_output_value_never_hands_a_bind_variable_to_the_caller(tmp_path: Path) -> None:
    """A mock `hello {{M3TER_API_KEY}}` returned another capability's key to any MCP caller."""
    extra = (
        "    - name: hello\n      description: d\n      inputParameters: [{name: who, type: string, required: false}]\n"
        "      outputParameters: [{name: greeting, type: string, value: 'hello {{who}} {{M3TER_API_KEY}} {{env.M3TER_API_KEY}}'}]\n"
    )
    spec = UP.format(base="https://api.example", fmt="json", extra="").rstrip() + "\n" + extra
    write_spec(tmp_path, "zz.yaml", spec)
    assert "M3TER_API_KEY" not in load_capability(tmp_path / "zz.yaml").variables
    with UpstreamServer() as upstream:
        result = Deployment(tmp_path, upstream.url, {"M3TER_API_KEY": "OTHER-CAPABILITYS-KEY"}).call_tool(
            "zz__hello", {"who": "ada"}
        )
    assert result.structured_content == {"greeting": "hello ada  "}
    record("security", "a mock output value naming another capability's bind variable", 1, "renders empty; never read")


def test_a_backslash_url_is_not_an_upstream(tmp_path: Path) -> None:
    """`http://evil\\@127.0.0.1` was loopback to the check and `evil` to urllib3: our token went there."""
    spec = UP.format(base="{{ACCOUNT_URL}}/api", fmt="json", extra="").replace(
        "    resources:\n    - {name: r",
        "    authentication: {type: bearer, token: '{{TOKEN}}'}\n    resources:\n    - {name: r",
        1,
    )
    write_spec(tmp_path, "up.yaml", spec)
    with UpstreamServer() as upstream:
        port = upstream.url.rsplit(":", 1)[1]
        deployment = Deployment(
            tmp_path, upstream.url, {"TOKEN": "secret-token-123", "ACCOUNT_URL": f"http://localhost:{port}\\@127.0.0.1"}
        )
        deployment.environ.pop("UPSTREAM_BASE_URI_UP")
        result = deployment.call_tool("up__get-x", {})
        assert result.is_error and result.structured_content["credential"] == "ACCOUNT_URL"
        assert upstream.received == []
    record("security", "a base URI with a backslash before the host (parsers disagree)", 1, "refused; nothing sent")


def test_one_callers_junk_token_does_not_lock_the_others_out() -> None:
    """An issuer's 400 to one junk token was remembered as the issuer failing: 503 for everyone, 30 s."""
    with AuthServer() as auth:
        base = auth.httpd.RequestHandlerClass

        class Picky(base):  # type: ignore[misc,valid-type]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path == "/introspect" and "token=junk" in body:
                    self._json(400, {"error": "invalid_request"})
                    return
                self.rfile = __import__("io").BytesIO(body.encode())
                self.headers.replace_header("Content-Length", str(len(body)))
                base.do_POST(self)

        auth.httpd.RequestHandlerClass = Picky
        auth.active.add("good-token")
        server = ResourceServer(auth.url, None, ("https://mcp.example",), introspection=True)
        secrets = {"OAUTH_CLIENT_ID": CLIENT_ID, "OAUTH_CLIENT_SECRET": CLIENT_SECRET}
        validator = Validator(server, Urllib3Transport(), secrets.__getitem__)
        with pytest.raises(Unauthorized):
            validator.check("Bearer junk-token")
        assert validator.check("Bearer good-token")["active"] is True
    record(
        "security",
        "an issuer that answers 400 to one caller's junk token",
        2,
        "401 for that caller; the next caller accepted",
    )


def test_a_compiled_form_is_read_with_limits_and_validate_reads_the_yaml(tmp_path: Path) -> None:
    """A cache file of 100k nested '[' raised RecursionError out of every MCP endpoint."""
    file = write_spec(tmp_path, "m3ter-balances.yaml", SEED.read_text())
    assert main(["compile", str(file)]) == 0
    cached = next((tmp_path / ".naftiko-cache").glob("m3ter-balances-*.json"))
    cached.write_text("[" * 100_000 + "]" * 100_000)
    assert load_capability(file).name == "m3ter-balances"  # the cache is refused: the YAML is read
    cached.write_text(json.dumps({"naftiko": "1.0.0-alpha2", "capability": {"exposes": []}}))
    assert main(["validate", str(file)]) == 0  # judges the YAML, not a compiled form beside it
    record(
        "security",
        "a compiled form 100k levels deep, and one that differs from its YAML",
        2,
        "read with limits; validate judges the YAML",
    )


@pytest.mark.parametrize(
    "name, text",
    [
        ("a 5000-digit hex key", "? 0x" + "f" * 5000 + "\n: 1\n"),
        ("a 5000-digit hex value", "x: 0x" + "f" * 5000 + "\n"),
    ],
)
def test_huge_integers_in_a_capability_file_are_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    """ValueError out of the YAML constructor: tracebacks in validate, compile and template."""
    file = tmp_path / "zz.yaml"
    file.write_text("naftiko: 1.0.0-alpha2\n" + text + SEED.read_text().split("\n", 1)[1])
    for command, status in ((["validate", str(file)], 1), (["compile", str(file)], 2)):
        assert main(command) == status
        shown = capsys.readouterr()
        assert "more than 300 digits" in shown.out + shown.err and "Traceback" not in shown.out + shown.err
    with pytest.raises(SpecError, match="300 digits"):
        load_capability(file)
    record("security", f"capability file: {name}", 2, "validate 1, compile 2, naming file:line")


ANSWERS = {
    "a lone surrogate in JSON": ("json", b'{"name": "caf\\ud800e"}', "application/json"),
    "a 4000-digit YAML integer": ("yaml", b"n: 0x" + b"f" * 4000 + b"\n", "application/yaml"),
    "200k CSV columns over short rows": (
        "csv",
        b",".join(b"c%d" % i for i in range(200_000)) + b"\n" + b"x\n" * 200,
        "text/csv",
    ),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_answers_that_decode_but_cannot_go_back_are_invalid_answers(tmp_path: Path, name: str) -> None:
    """REST 500s, an MCP reply the client could not parse, and 785 MB for 1.5 MB of CSV."""
    fmt, body, content_type = ANSWERS[name]
    _spec(tmp_path, fmt=fmt)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with UpstreamServer() as upstream:
        upstream.reply(Reply(200, body, {"Content-Type": content_type}))
        result = Deployment(tmp_path, upstream.url).call_tool("up__get-x", {})
    assert result.is_error and result.structured_content["error"] == "UpstreamInvalidResponse"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    record("security", f"upstream answer: {name}", 1, "MCP isError UpstreamInvalidResponse; memory bounded")


def test_an_allof_fan_out_imports_in_a_moment(tmp_path: Path) -> None:
    """3.6 KB of allOf fanning out to the same $refs ran for more than 120 s."""
    schemas: dict[str, Any] = {f"L{i}": {"allOf": [{"$ref": f"#/components/schemas/L{i + 1}"}] * 10} for i in range(8)}
    schemas["L8"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    ref = {"$ref": "#/components/schemas/L0"}
    operation = {
        "operationId": "makeX",
        "requestBody": {"content": {"application/json": {"schema": ref}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": ref}}}},
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Fan", "version": "1"},
        "servers": [{"url": "https://fan.example"}],
        "paths": {"/x": {"post": operation}},
        "components": {"schemas": schemas},
    }
    source = tmp_path / "fan.json"
    source.write_text(json.dumps(document))
    started = time.monotonic()
    assert main(["import", "openapi", str(source), "-o", str(tmp_path / "out")]) == 0
    assert time.monotonic() - started < 10
    record("security", "import openapi: an allOf fan-out of 10 x 8 levels (3.6 KB)", 1, "imported in under 10 s")


def test_an_imported_title_stays_in_its_comment(tmp_path: Path) -> None:
    source = tmp_path / "weather.yaml"
    source.write_text(
        "openapi: 3.0.3\ninfo: {title: \"Weather\\ninjected: {binds: here}\", version: '1'}\n"
        "servers: [{url: 'https://w.example'}]\npaths: {/x: {get: {operationId: getX, responses: {'200': {description: ok}}}}}\n"
    )
    assert main(["import", "openapi", str(source), "-o", str(tmp_path / "out"), "--namespace", "weather"]) == 0
    written = (tmp_path / "out" / "weather.yaml").read_text()
    assert "\ninjected:" not in written and load_capability(tmp_path / "out" / "weather.yaml").name == "weather"
    record(
        "security",
        "import openapi: a title with a line break (YAML injected after the header comment)",
        1,
        "kept on one comment line",
    )


@pytest.mark.parametrize(
    "spelling",
    ["entities", "lower-case percent escapes", "\\u escapes in a body that is not JSON"],
)
def test_more_spellings_of_an_echoed_token_are_masked(tmp_path: Path, spelling: str) -> None:
    secret = "tok/en+5ecret=0123456789abcdef"
    spelled = {
        "entities": "".join(f"&#x{ord(c):x};" if c in "/+=" else c for c in secret),
        "lower-case percent escapes": secret.replace("/", "%2f").replace("+", "%2b").replace("=", "%3d"),
        "\\u escapes in a body that is not JSON": "".join(f"\\u{ord(c):04x}" for c in secret),
    }[spelling]
    spec = UP.format(base="https://api.example", fmt="json", extra="").replace(
        "    resources:\n    - {name: r",
        "    authentication: {type: bearer, token: '{{TOKEN}}'}\n    resources:\n    - {name: r",
        1,
    )
    write_spec(tmp_path, "up.yaml", spec)
    with UpstreamServer() as upstream:
        upstream.reply(Reply(401, f"<html>you sent {spelled} (not JSON", {"Content-Type": "text/html"}))
        result = Deployment(tmp_path, upstream.url, {"TOKEN": secret}).call_tool("up__get-x", {})
    body = result.structured_content["body"]  # the upstream's text, as the caller gets it
    assert result.is_error and spelled not in body and secret not in body and "***" in body
    record("security", f"an upstream 401 echoing our token as {spelling}", 1, "masked")


def test_serve_refuses_a_cross_site_request_that_sends_no_origin() -> None:
    """An <img> on any page could run GET operations with the developer's live keys."""
    headers = {"host": "127.0.0.1:8000", "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors"}
    assert refusal("GET", headers, b"", remote=False) is not None
    assert refusal("GET", {"host": "127.0.0.1:8000", "sec-fetch-site": "none"}, b"", remote=False) is None
    record("security", "serve: a cross-site GET with no Origin (an <img>)", 2, "403; a typed URL still works")


def test_a_token_written_in_the_file_opens_nothing_more(tmp_path: Path) -> None:
    """A block's own literal `token: hunter2` stood for the deployment's MCP token."""
    extra = ""
    spec = UP.format(base="https://api.example", fmt="json", extra=extra).replace(
        "    port: 9090\n", "    port: 9090\n    authentication: {type: bearer, token: hunter2-literal-token}\n", 1
    )
    write_spec(tmp_path, "up.yaml", spec)
    with UpstreamServer() as upstream:
        deployment = Deployment(tmp_path, upstream.url)
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        answer = deployment.post_mcp("/mcp/up", message, {"authorization": "Bearer hunter2-literal-token"})
    assert answer.status == 401
    record("security", "an MCP block's literal bearer token, without the deployment's", 1, "401")
