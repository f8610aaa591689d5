"""template.yaml: generated, current, and shaped as the issue asks (least privilege, opt-outs)."""

from __future__ import annotations

import os
import tomllib

import yaml
from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.cli.template import build_template, logical_id, render_template

from ..conftest import CAPABILITIES, ROOT


def _template() -> dict:
    return build_template(load_capabilities(CAPABILITIES))


def test_committed_template_is_current() -> None:
    assert (ROOT / "template.yaml").read_text() == render_template(CAPABILITIES), "run `naftiko-lambda template`"


def test_generator_is_deterministic() -> None:
    assert render_template(CAPABILITIES) == render_template(CAPABILITIES)


def test_every_capability_has_function_route_secret_and_scoped_policy() -> None:
    resources = _template()["Resources"]
    capabilities = load_capabilities(CAPABILITIES)
    for capability in capabilities:
        cid = logical_id(capability.name)
        function = resources[f"{cid}Function"]["Properties"]
        assert function["Environment"]["Variables"]["CAPABILITY_FILE"] == f"capabilities/{capability.name}.yaml"
        event = function["Events"]["Proxy"]["Properties"]
        assert event == {"RestApiId": {"Ref": "RestApi"}, "Path": f"/{capability.name}/{{proxy+}}", "Method": "ANY"}
        secret = resources[f"{cid}Secret"]
        assert secret["Type"] == "AWS::SecretsManager::Secret"
        assert all(v == "REPLACE_ME" for v in yaml.safe_load(secret["Properties"]["SecretString"]).values())
        (policy,) = function["Policies"]
        arn = policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
        assert arn == {"Fn::If": [f"Create{cid}Secret", {"Ref": f"{cid}Secret"}, {"Ref": f"{cid}SecretArn"}]}
        assert function.get("Timeout", _template()["Globals"]["Function"]["Timeout"]) < 29


def test_mcp_function_has_its_url_and_reads_only_its_secrets() -> None:
    template = _template()
    mcp = template["Resources"]["McpFunction"]["Properties"]
    assert mcp["FunctionUrlConfig"] == {"AuthType": {"Ref": "McpFunctionUrlAuth"}}
    assert mcp["Handler"] == "mcp_server/handler.handler"
    secrets = [p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"] for p in mcp["Policies"]]
    assert len(secrets) == len(load_capabilities(CAPABILITIES)) + 1
    assert "McpUrl" in template["Outputs"]


def test_auth_opt_outs_exist_and_default_to_protected() -> None:
    parameters = _template()["Parameters"]
    assert parameters["RestApiAuth"]["Default"] == "API_KEY"
    assert parameters["McpFunctionUrlAuth"]["AllowedValues"] == ["NONE", "AWS_IAM"]
    assert parameters["McpBearerAuth"]["Default"] == "bearer"
    api = _template()["Resources"]["RestApi"]["Properties"]["Auth"]
    assert api["ApiKeyRequired"] == {"Fn::If": ["RequireApiKey", True, False]}


def test_functions_link_to_the_capabilities() -> None:
    link = ROOT / "functions" / "capabilities"
    assert link.is_symlink() and os.readlink(link) == "../capabilities"


def test_layer_requirements_match_the_package() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "layers" / "runtime" / "requirements.txt").read_text().splitlines()
    bundled = [line for line in lines if line and not line.startswith("#")]
    assert bundled == declared
