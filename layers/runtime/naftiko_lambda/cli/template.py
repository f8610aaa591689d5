"""`naftiko-lambda template`: capabilities/ -> template.yaml (AWS SAM), deterministic.

How specs reach the functions is decided here and only here: every function's CodeUri is
``functions/``, which holds the entry shims (``rest/``, ``mcp_server/``: not ``mcp/``, which would
shadow the SDK package on Lambda's path) and a ``capabilities`` link to the project's
capabilities/ (sam build copies the files the link points to, compile cache included). A REST function finds its spec
through CAPABILITY_FILE, the MCP function its folder through CAPABILITIES_DIR.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ..capability.binds import is_reserved
from ..capability.load import load_capabilities
from ..capability.model import Capability
from ..runner.idempotency import WINDOW_S
from ..settings import base_uri_variable, secret_variable

RUNTIME = "python3.13"
FUNCTION_TIMEOUT_S = 28
"""Under API Gateway's 29 s integration timeout, so the caller gets our answer, not a 504 of its own."""
MCP_TIMEOUT_S = 30
MEMORY_MB = 1024
"""More memory buys more CPU: a 1 GB function cold-starts the ~0.8 s of imports about twice as fast as 512 MB."""
PLACEHOLDER = "REPLACE_ME"
ALIAS = "live"
"""Every function publishes a version behind this alias; the API and the function URL call it."""
ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
"""What Lambda accepts as an environment variable name."""
ENV_LIMIT_BYTES = 4096
"""Lambda's limit on a function's environment variables (names and values together)."""
LOCAL_MCP_TOKEN = "local-dev-token-change-me-0123456789abcdef"  # noqa: S105 - a sample, for sam local
"""The bearer token the MCP sample events carry (scripts/make_events.py); local runs only."""


def logical_id(name: str) -> str:
    """``m3ter-billjob`` -> ``M3terBilljob``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _bind_keys(capability: Capability) -> list[str]:
    """The variables a capability may read from binds or the environment (capability/binds.py):
    the keys its secret holds."""
    return sorted(capability.variables)


def runtime_variables(capability: Capability) -> list[str]:
    """The environment variables a function serving ``capability`` may read for it, declared on
    the function so that `sam local --env-vars` can set them (SAM sets only declared ones): its
    bind keys and an upstream base URI override per consumes namespace. Empty means unset."""
    keys = {name for name in _bind_keys(capability) if not is_reserved(name)}  # reserved: the secret only
    names = keys | {base_uri_variable(ns) for ns in capability.consumes}
    return sorted(name for name in names if ENV_NAME.fullmatch(name))


def _declared(capability: Capability) -> dict[str, str]:
    return dict.fromkeys(runtime_variables(capability), "")


def _secret_arn(cid: str) -> dict[str, Any]:
    return {"Fn::If": [f"Create{cid}Secret", {"Ref": f"{cid}Secret"}, {"Ref": f"{cid}SecretArn"}]}


def _reserved(condition: str, parameter: str) -> dict[str, Any]:
    return {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}


def _docs_events(capability: str) -> dict[str, Any]:
    """GET routes of the docs page, its two assets and the OpenAPI document: a browser opening the
    page sends no x-api-key, so these answer without one unless PublicApiDocs=false. Only the
    description of the API is public; every operation still needs the key."""
    paths = {"Docs": "docs", "DocsAssets": "docs/{proxy+}", "OpenApi": "openapi.json"}
    return {
        name: {
            "Type": "Api",
            "Properties": {
                "RestApiId": {"Ref": "RestApi"},
                "Path": f"/{capability}/{path}",
                "Method": "GET",
                "Auth": {"ApiKeyRequired": {"Fn::If": ["DocsNeedApiKey", True, False]}},
            },
        }
        for name, path in paths.items()
    }


def _idempotency_policy(capabilities: list[str]) -> dict[str, Any]:
    """Item access to the idempotency table, only to records named after the given capabilities."""
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                "Resource": {"Fn::GetAtt": ["IdempotencyTable", "Arn"]},
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{c}#*" for c in capabilities]}},
            }
        ]
    }


def build_template(capabilities: tuple[Capability, ...]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "StageName": {"Type": "String", "Default": "prod", "Description": "API Gateway stage name"},
        "RestApiAuth": {
            "Type": "String",
            "Default": "API_KEY",
            "AllowedValues": ["API_KEY", "NONE"],
            "Description": "API_KEY (default): every REST call needs the x-api-key of the usage plan. NONE opts out.",
        },
        "McpFunctionUrlAuth": {
            "Type": "String",
            "Default": "NONE",
            "AllowedValues": ["NONE", "AWS_IAM"],
            "Description": "NONE (default) relies on the in-function bearer check; AWS_IAM needs SigV4-signed calls.",
        },
        "McpAuth": {
            "Type": "String",
            "Default": "bearer",
            "AllowedValues": ["bearer", "oauth2", "none"],
            "Description": "bearer (default): MCP calls need a token from the McpTokens secret. oauth2: an access "
            "token from McpOAuthIssuer (the function is an OAuth resource server). none opts out.",
        },
        "McpOAuthIssuer": {
            "Type": "String",
            "Default": "",
            "Description": "McpAuth=oauth2: the authorization server (issuer URL), e.g. "
            "https://cognito-idp.<region>.amazonaws.com/<user pool id>",
        },
        "McpOAuthAudience": {
            "Type": "String",
            "Default": "",
            "Description": "McpAuth=oauth2: the token audience (aud, or a Cognito app client id)",
        },
        "McpOAuthScopes": {
            "Type": "String",
            "Default": "",
            "Description": "McpAuth=oauth2: scopes a token must carry, comma-separated",
        },
        "AllowPublicMcp": {
            "Type": "String",
            "Default": "false",
            "AllowedValues": ["false", "true"],
            "Description": "true allows McpAuth=none with McpFunctionUrlAuth=NONE: an MCP endpoint anyone may call.",
        },
        "PublicApiDocs": {
            "Type": "String",
            "Default": "true",
            "AllowedValues": ["true", "false"],
            "Description": "true: each capability's docs page and OpenAPI document open without the API key (so a "
            "browser can load them; operations still need it). false: they need the key too.",
        },
        "RestApiRateLimit": {
            "Type": "Number",
            "Default": 50,
            "MinValue": 1,
            "Description": "Usage plan: steady requests per second per API key",
        },
        "RestApiBurstLimit": {
            "Type": "Number",
            "Default": 100,
            "MinValue": 1,
            "Description": "Usage plan: burst of requests per API key",
        },
        "RestApiQuotaLimit": {
            "Type": "Number",
            "Default": 0,
            "MinValue": 0,
            "Description": "Usage plan: requests per RestApiQuotaPeriod per API key (0: no quota)",
        },
        "RestApiQuotaPeriod": {"Type": "String", "Default": "DAY", "AllowedValues": ["DAY", "WEEK", "MONTH"]},
        "RestReservedConcurrency": {
            "Type": "Number",
            "Default": -1,
            "MinValue": -1,
            "Description": "Reserved concurrency of each REST function (-1: unset, the account's pool)",
        },
        "McpReservedConcurrency": {
            "Type": "Number",
            "Default": -1,
            "MinValue": -1,
            "Description": "Reserved concurrency of the MCP function (-1: unset, the account's pool)",
        },
        "IdempotencyWindowSeconds": {
            "Type": "Number",
            "Default": WINDOW_S,
            "MinValue": 60,
            "MaxValue": 30 * 24 * 3600,
            "Description": "How long a write's answer is replayed to a retry with the same idempotency key",
        },
        "IdempotencyPointInTimeRecovery": {
            "Type": "String",
            "Default": "false",
            "AllowedValues": ["false", "true"],
            "Description": "Point-in-time recovery of the idempotency table (its records expire anyway)",
        },
        "SnapStart": {
            "Type": "String",
            "Default": "Off",
            "AllowedValues": ["Off", "On"],
            "Description": "On: Lambda SnapStart on every function (published versions restore from a snapshot "
            "of the initialised function instead of starting cold)",
        },
        "LogLevel": {"Type": "String", "Default": "INFO", "AllowedValues": ["DEBUG", "INFO", "WARNING", "ERROR"]},
    }
    conditions: dict[str, Any] = {
        "RequireApiKey": {"Fn::Equals": [{"Ref": "RestApiAuth"}, "API_KEY"]},
        "HasQuota": {"Fn::Not": [{"Fn::Equals": [{"Ref": "RestApiQuotaLimit"}, 0]}]},
        "ReserveRest": {"Fn::Not": [{"Fn::Equals": [{"Ref": "RestReservedConcurrency"}, -1]}]},
        "ReserveMcp": {"Fn::Not": [{"Fn::Equals": [{"Ref": "McpReservedConcurrency"}, -1]}]},
        "IdempotencyPitr": {"Fn::Equals": [{"Ref": "IdempotencyPointInTimeRecovery"}, "true"]},
        "SnapStartOn": {"Fn::Equals": [{"Ref": "SnapStart"}, "On"]},
        "DocsNeedApiKey": {
            "Fn::And": [{"Condition": "RequireApiKey"}, {"Fn::Equals": [{"Ref": "PublicApiDocs"}, "false"]}]
        },
        "McpUrlOpen": {"Fn::Equals": [{"Ref": "McpFunctionUrlAuth"}, "NONE"]},
    }
    rules = {
        "McpIsNotPublicByAccident": {
            "RuleCondition": {
                "Fn::And": [
                    {"Fn::Equals": [{"Ref": "McpAuth"}, "none"]},
                    {"Fn::Equals": [{"Ref": "McpFunctionUrlAuth"}, "NONE"]},
                ]
            },
            "Assertions": [
                {
                    "Assert": {"Fn::Equals": [{"Ref": "AllowPublicMcp"}, "true"]},
                    "AssertDescription": "McpAuth=none with McpFunctionUrlAuth=NONE makes the MCP endpoint public: "
                    "set AllowPublicMcp=true if that is what you want",
                }
            ],
        }
    }
    resources: dict[str, Any] = {
        "RuntimeLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "Description": "naftiko_lambda spec interpreter and its dependencies",
                "ContentUri": "layers/runtime/",
                "CompatibleRuntimes": [RUNTIME],
            },
            # layers/runtime/Makefile: the same wheels, plus the bytecode SAM's builder leaves out.
            "Metadata": {"BuildMethod": "makefile"},
        },
        "RestApi": {
            "Type": "AWS::Serverless::Api",
            "Properties": {
                "StageName": {"Ref": "StageName"},
                "TracingEnabled": True,
                "Auth": {
                    "ApiKeyRequired": {"Fn::If": ["RequireApiKey", True, False]},
                    "UsagePlan": {
                        "CreateUsagePlan": {"Fn::If": ["RequireApiKey", "PER_API", "NONE"]},
                        "Throttle": {
                            "RateLimit": {"Ref": "RestApiRateLimit"},
                            "BurstLimit": {"Ref": "RestApiBurstLimit"},
                        },
                        "Quota": {
                            "Fn::If": [
                                "HasQuota",
                                {"Limit": {"Ref": "RestApiQuotaLimit"}, "Period": {"Ref": "RestApiQuotaPeriod"}},
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                    },
                },
            },
        },
        "IdempotencyTable": {
            # Powertools Idempotency's shape: key "id" ("<capability>#<hash>"), TTL on "expiration".
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": {"Fn::If": ["IdempotencyPitr", True, False]}
                },
            },
        },
        "McpTokens": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": {"Fn::Sub": "naftiko/${AWS::StackName}/mcp-tokens"},
                "Description": 'Bearer token(s) the MCP endpoint accepts: {"token": "..."} or {"tokens": [...]}',
                "GenerateSecretString": {
                    "SecretStringTemplate": "{}",
                    "GenerateStringKey": "token",
                    "PasswordLength": 48,
                    "ExcludePunctuation": True,
                },
            },
        },
    }
    outputs: dict[str, Any] = {}
    mcp_env: dict[str, Any] = {
        "CAPABILITIES_DIR": "capabilities",
        "MCP_AUTH": {"Ref": "McpAuth"},
        "MCP_OAUTH_ISSUER": {"Ref": "McpOAuthIssuer"},
        "MCP_OAUTH_AUDIENCE": {"Ref": "McpOAuthAudience"},
        "MCP_OAUTH_SCOPES": {"Ref": "McpOAuthScopes"},
        "MCP_OAUTH_RESOURCE": "",
        "MCP_OAUTH_VALIDATION": "",
        "MCP_OAUTH_COGNITO": "",  # "true": client_id may stand in for aud (an issuer on a Cognito host is anyway)
        "MCP_OAUTH_CLIENT_ID": "",
        "MCP_OAUTH_CLIENT_SECRET": "",
        "MCP_TOKENS_SECRET": {"Ref": "McpTokens"},
        "MCP_BEARER_TOKENS": "",  # a local override (sam local --env-vars); deployed, the secret holds them
        "POWERTOOLS_SERVICE_NAME": "naftiko-mcp",
    }
    mcp_variables: dict[str, str] = {}
    mcp_secrets: list[Any] = [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "McpTokens"}}}]

    for capability in capabilities:
        cid = logical_id(capability.name)
        keys = _bind_keys(capability)
        parameters[f"{cid}SecretArn"] = {
            "Type": "String",
            "Default": "",
            "Description": f"Existing secret for {capability.name} (JSON with {', '.join(keys) or 'its bind keys'}); empty: the stack creates one",
        }
        conditions[f"Create{cid}Secret"] = {"Fn::Equals": [{"Ref": f"{cid}SecretArn"}, ""]}
        resources[f"{cid}Secret"] = {
            "Type": "AWS::SecretsManager::Secret",
            "Condition": f"Create{cid}Secret",
            "Properties": {
                "Name": {"Fn::Sub": f"naftiko/${{AWS::StackName}}/{capability.name}"},
                "Description": f"Upstream credentials of {capability.name}; replace each {PLACEHOLDER} value",
                "SecretString": json.dumps(dict.fromkeys(keys, PLACEHOLDER), sort_keys=True),
            },
        }
        secret_env = secret_variable(capability.name)
        policy = {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": _secret_arn(cid)}}
        resources[f"{cid}Function"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Description": f"REST API of {capability.label} ({len(capability.rest_operations)} operations)",
                "CodeUri": "functions/",
                "Handler": "rest/handler.handler",
                "Environment": {
                    "Variables": {
                        "CAPABILITY_FILE": f"capabilities/{Path(capability.source).name}",
                        secret_env: _secret_arn(cid),
                        "POWERTOOLS_SERVICE_NAME": f"naftiko-{capability.name}",
                        "REST_API_KEY_REQUIRED": {"Fn::If": ["RequireApiKey", "true", "false"]},
                        **_declared(capability),
                    }
                },
                "Policies": [policy, _idempotency_policy([capability.name])],
                "ReservedConcurrentExecutions": _reserved("ReserveRest", "RestReservedConcurrency"),
                "Events": {
                    "Proxy": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "RestApi"},
                            "Path": f"/{capability.name}/{{proxy+}}",
                            "Method": "ANY",
                        },
                    },
                    **_docs_events(capability.name),
                },
            },
        }
        mcp_env[secret_env] = _secret_arn(cid)
        mcp_variables.update(_declared(capability))
        mcp_secrets.append(policy)
        outputs[f"{cid}RestUrl"] = {
            "Description": f"Base URL of {capability.name}'s REST API (OpenAPI at openapi.json, docs at docs)",
            "Value": {
                "Fn::Sub": f"https://${{RestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/${{StageName}}/{capability.name}/"
            },
        }
        outputs[f"{cid}SecretId"] = {
            "Description": f"Secret holding {capability.name}'s bind keys",
            "Value": _secret_arn(cid),
        }

    resources["McpFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": "MCP server (stateless Streamable HTTP) for every capability",
            "CodeUri": "functions/",
            "Handler": "mcp_server/handler.handler",
            "Timeout": MCP_TIMEOUT_S,
            "Environment": {"Variables": {**mcp_env, **dict(sorted(mcp_variables.items()))}},
            # The MCP function serves every capability, so it alone may read every capability's secret.
            "Policies": [*mcp_secrets, _idempotency_policy([c.name for c in capabilities])],
            "ReservedConcurrentExecutions": _reserved("ReserveMcp", "McpReservedConcurrency"),
            "FunctionUrlConfig": {"AuthType": {"Ref": "McpFunctionUrlAuth"}},
        },
        # functions/Makefile: the capabilities with their compiled forms (the MCP index).
        "Metadata": {"BuildMethod": "makefile"},
    }
    # SAM adds these only for a literal AuthType NONE, not for a parameter: without them AWS
    # refuses every call to the URL (403) before the function's own check runs.
    alias = {"Ref": "McpFunction.Alias"}
    resources["McpUrlPublicAccess"] = {
        "Type": "AWS::Lambda::Permission",
        "Condition": "McpUrlOpen",
        "Properties": {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": alias,
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    }
    resources["McpUrlInvokeAccess"] = {
        "Type": "AWS::Lambda::Permission",
        "Condition": "McpUrlOpen",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": alias,
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
    }
    outputs["McpUrl"] = {
        "Description": "MCP endpoint (all capabilities); /mcp/<capability> for one",
        "Value": {"Fn::GetAtt": ["McpFunctionUrl", "FunctionUrl"]},
    }
    outputs["McpTokenSecretId"] = {"Description": "Secret holding the MCP bearer token", "Value": {"Ref": "McpTokens"}}
    outputs["RestApiKeyId"] = {
        "Condition": "RequireApiKey",
        "Description": "API key id for the REST API (aws apigateway get-api-key --include-value --api-key <id>)",
        "Value": {"Ref": "RestApiApiKey"},
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        # LanguageExtensions resolves the Fn::If in the API's Auth block before SAM reads it.
        "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
        "Description": "naftiko-lambda: Naftiko capabilities as REST APIs and an MCP server. Generated by `naftiko-lambda template`; do not edit.",
        "Parameters": parameters,
        "Rules": rules,
        "Conditions": conditions,
        "Globals": {
            "Function": {
                "Runtime": RUNTIME,
                "Architectures": ["x86_64"],
                "MemorySize": MEMORY_MB,
                "Timeout": FUNCTION_TIMEOUT_S,
                "Tracing": "Active",
                "Layers": [{"Ref": "RuntimeLayer"}],
                # One shape in both SnapStart settings: the API and the URL always call the alias.
                "AutoPublishAlias": ALIAS,
                "SnapStart": {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}},
                "Environment": {
                    "Variables": {
                        "POWERTOOLS_LOG_LEVEL": {"Ref": "LogLevel"},
                        "POWERTOOLS_METRICS_NAMESPACE": "Naftiko",
                        "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
                        "IDEMPOTENCY_WINDOW_S": {"Ref": "IdempotencyWindowSeconds"},
                        "IDEMPOTENCY_STORE": "",  # "memory": keys kept in the process (sam local, tests)
                    }
                },
            }
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def render_template(capabilities_dir: Path) -> str:
    import yaml

    capabilities = load_capabilities(capabilities_dir)
    template = build_template(capabilities)
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            size = _environment_bytes(resource["Properties"]["Environment"]["Variables"], template)
            if size > ENV_LIMIT_BYTES:
                print(
                    f"warning: {name}'s environment is about {size} bytes, over Lambda's {ENV_LIMIT_BYTES}: "
                    "deploy the capabilities as several stacks",
                    file=sys.stderr,
                )
    header = "# Generated from capabilities/ by `naftiko-lambda template`. Do not edit: regenerate.\n"
    return header + yaml.safe_dump(template, sort_keys=False, width=120, allow_unicode=True)


def _environment_bytes(variables: dict[str, Any], template: dict[str, Any]) -> int:
    """About what Lambda counts: names and values (a resolved ARN or name is taken as 100 bytes)."""
    merged = {**template["Globals"]["Function"]["Environment"]["Variables"], **variables}
    return sum(len(k) + (len(v) if isinstance(v, str) else 100) for k, v in merged.items())


def render_env_file(capabilities_dir: Path) -> str:
    """events/env.local.json: a `sam local ... --env-vars` file naming, per function, every
    variable it reads (fill in the keys), and the sample events' MCP bearer token."""
    capabilities = load_capabilities(capabilities_dir)
    document: dict[str, dict[str, str]] = {}
    mcp: dict[str, str] = {"MCP_BEARER_TOKENS": LOCAL_MCP_TOKEN}
    for capability in capabilities:
        document[f"{logical_id(capability.name)}Function"] = _declared(capability)
        mcp.update(_declared(capability))
    document["McpFunction"] = {"MCP_BEARER_TOKENS": LOCAL_MCP_TOKEN, **dict(sorted(mcp.items()))}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
