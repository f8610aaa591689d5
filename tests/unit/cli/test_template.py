"""template.yaml: generated, current, and shaped as the issue asks (least privilege, opt-outs)."""

from __future__ import annotations

import os
import sys
import tomllib

import yaml
from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.cli.template import build_template, logical_id, render_env_file, render_template
from packaging.requirements import Requirement

from ...conftest import CAPABILITIES, ROOT


def _template() -> dict:
    return build_template(load_capabilities(CAPABILITIES))


def test_committed_template_is_current() -> None:
    assert (ROOT / "template.yaml").read_text() == render_template(CAPABILITIES), "run `naftiko-lambda template`"
    assert (ROOT / "events" / "env.local.json").read_text() == render_env_file(CAPABILITIES), "run it too"


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
        policy, store = function["Policies"]
        arn = policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
        (statement,) = store["Statement"]
        assert statement["Resource"] == {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}
        # Each REST function reaches only its own capability's records (the runtime's key prefix).
        leading = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{capability.name}#*"]}}
        assert statement["Condition"] == leading
        assert not any(a.endswith(("Scan", "Query", "*")) for a in statement["Action"])
        assert arn == {"Fn::If": [f"Create{cid}Secret", {"Ref": f"{cid}Secret"}, {"Ref": f"{cid}SecretArn"}]}
        assert function.get("Timeout", _template()["Globals"]["Function"]["Timeout"]) < 29


def test_mcp_function_has_its_url_and_reads_only_its_secrets() -> None:
    template = _template()
    mcp = template["Resources"]["McpFunction"]["Properties"]
    assert mcp["FunctionUrlConfig"] == {"AuthType": {"Ref": "McpFunctionUrlAuth"}}
    assert mcp["Handler"] == "mcp_server/handler.handler"
    secrets = [p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"] for p in mcp["Policies"][:-1]]
    assert len(secrets) == len(load_capabilities(CAPABILITIES)) + 1
    (statement,) = mcp["Policies"][-1]["Statement"]
    names = sorted(f"{c.name}#*" for c in load_capabilities(CAPABILITIES))
    assert sorted(statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]) == names
    assert "McpUrl" in template["Outputs"]


def test_auth_opt_outs_exist_and_default_to_protected() -> None:
    parameters = _template()["Parameters"]
    assert parameters["RestApiAuth"]["Default"] == "API_KEY"
    assert parameters["McpFunctionUrlAuth"]["AllowedValues"] == ["NONE", "AWS_IAM"]
    assert parameters["McpAuth"]["Default"] == "bearer"
    assert parameters["McpAuth"]["AllowedValues"] == ["bearer", "oauth2", "none"]
    api = _template()["Resources"]["RestApi"]["Properties"]["Auth"]
    assert api["ApiKeyRequired"] == {"Fn::If": ["RequireApiKey", True, False]}


def test_functions_link_to_the_capabilities() -> None:
    link = ROOT / "functions" / "capabilities"
    assert link.is_symlink() and os.readlink(link) == "../capabilities"


def test_the_layer_pins_every_dependency_within_its_range() -> None:
    """Issue 11 item 8: a deploy is reproducible: requirements.txt pins exact versions (./dev lock)."""
    from packaging.utils import canonicalize_name

    declared = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    lines = (ROOT / "layers" / "runtime" / "requirements.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line and not line.startswith((" ", "#", "-")):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version.strip()
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not pinned: run ./dev lock"
        assert requirement.specifier.contains(pinned), (
            f"{requirement.name}=={pinned} is outside {requirement.specifier}"
        )


def test_the_package_declares_what_it_imports() -> None:
    """starlette, urllib3, anyio, mcp-types are imported directly: they are declared, not borrowed."""
    import re

    package = ROOT / "layers" / "runtime" / "naftiko_lambda"
    imported = set()
    for file in package.rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) ([a-z_0-9]+)", file.read_text(), re.M))
    distributions = {
        "aws_lambda_powertools": "aws-lambda-powertools",
        "yaml": "pyyaml",
        "mcp_types": "mcp-types",
        "jwt": "pyjwt",
        "swagger_ui_bundle": "swagger-ui-bundle-v2",
    }
    declared = {
        Requirement(r).name for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    optional = {"uvicorn", "ruamel", "snapshot_restore_py"}  # the [serve] extra; Lambda's runtime provides the last
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "naftiko_lambda"}
    missing = {distributions.get(m, m) for m in third_party if m not in optional} - declared
    assert missing == set()


def test_a_public_mcp_endpoint_needs_an_explicit_opt_in() -> None:
    """Issue 11 item 7: McpAuth=none with McpFunctionUrlAuth=NONE is refused unless AllowPublicMcp=true."""
    template = _template()
    rule = template["Rules"]["McpIsNotPublicByAccident"]
    assert rule["RuleCondition"] == {
        "Fn::And": [
            {"Fn::Equals": [{"Ref": "McpAuth"}, "none"]},
            {"Fn::Equals": [{"Ref": "McpFunctionUrlAuth"}, "NONE"]},
        ]
    }
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "AllowPublicMcp"}, "true"]}
    assert template["Parameters"]["AllowPublicMcp"]["Default"] == "false"


def test_the_usage_plan_throttles_and_functions_may_reserve_concurrency() -> None:
    template = _template()
    plan = template["Resources"]["RestApi"]["Properties"]["Auth"]["UsagePlan"]
    assert plan["Throttle"] == {"RateLimit": {"Ref": "RestApiRateLimit"}, "BurstLimit": {"Ref": "RestApiBurstLimit"}}
    assert plan["Quota"]["Fn::If"][0] == "HasQuota"
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            reserved = resource["Properties"]["ReservedConcurrentExecutions"]
            assert reserved["Fn::If"][0] == ("ReserveMcp" if name == "McpFunction" else "ReserveRest")
            assert reserved["Fn::If"][2] == {"Ref": "AWS::NoValue"}  # unset by default


def test_the_idempotency_table_matches_what_the_runtime_writes() -> None:
    """Issue 15: the table Powertools Idempotency expects, encrypted, records expiring by TTL."""
    template = _template()
    table = template["Resources"]["IdempotencyTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST" and table["SSESpecification"] == {"SSEEnabled": True}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert variables["IDEMPOTENCY_WINDOW_S"] == {"Ref": "IdempotencyWindowSeconds"}
    assert template["Parameters"]["IdempotencyWindowSeconds"]["Default"] == 24 * 3600


def test_functions_run_python_3_13_behind_an_alias_with_snapstart_as_an_option() -> None:
    template = _template()
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    layer = template["Resources"]["RuntimeLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"  # layers/runtime/Makefile: wheels + bytecode
    assert function["AutoPublishAlias"] == "live"
    assert function["SnapStart"] == {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}}
    assert template["Parameters"]["SnapStart"]["Default"] == "Off"
