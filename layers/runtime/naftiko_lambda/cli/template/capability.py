"""One capability's part of the stack: its secret, its REST function and API routes, its outputs,
and what it adds to the MCP function (its secret's id and its declared variables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...capability.model import Capability
from ...settings import secret_variable
from .environment import bind_keys, declared
from .names import PLACEHOLDER, idempotency_policy, if_reserved, logical_id
from .stack import Stack


def secret_arn(cid: str) -> dict[str, Any]:
    """The capability's secret: the one the stack creates, or the existing one named by parameter."""
    return {"Fn::If": [f"Create{cid}Secret", {"Ref": f"{cid}Secret"}, {"Ref": f"{cid}SecretArn"}]}


def add_capability(stack: Stack, capability: Capability) -> None:
    cid = logical_id(capability.name)
    keys = bind_keys(capability)
    stack.parameters[f"{cid}SecretArn"] = {
        "Type": "String",
        "Default": "",
        "Description": f"Existing secret for {capability.name} (JSON with {', '.join(keys) or 'its bind keys'}); empty: the stack creates one",
    }
    stack.conditions[f"Create{cid}Secret"] = {"Fn::Equals": [{"Ref": f"{cid}SecretArn"}, ""]}
    stack.resources[f"{cid}Secret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Condition": f"Create{cid}Secret",
        "Properties": {
            "Name": {"Fn::Sub": f"naftiko/${{AWS::StackName}}/{capability.name}"},
            "Description": f"Upstream credentials of {capability.name}; replace each {PLACEHOLDER} value",
            "SecretString": json.dumps(dict.fromkeys(keys, PLACEHOLDER), sort_keys=True),
        },
    }
    secret_env = secret_variable(capability.name)
    policy = {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": secret_arn(cid)}}
    stack.resources[f"{cid}Function"] = rest_function(capability, secret_env, secret_arn(cid), policy)
    stack.mcp_environment[secret_env] = secret_arn(cid)
    stack.mcp_variables.update(declared(capability))
    stack.mcp_policies.append(policy)
    stack.outputs[f"{cid}RestUrl"] = {
        "Description": f"Base URL of {capability.name}'s REST API (OpenAPI at openapi.json, docs at docs)",
        "Value": {
            "Fn::Sub": f"https://${{RestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/${{StageName}}/{capability.name}/"
        },
    }
    stack.outputs[f"{cid}SecretId"] = {
        "Description": f"Secret holding {capability.name}'s bind keys",
        "Value": secret_arn(cid),
    }


def rest_function(capability: Capability, secret_env: str, secret: Any, policy: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": f"REST API of {capability.label} ({len(capability.rest_operations)} operations)",
            "CodeUri": "functions/",
            "Handler": "rest/handler.handler",
            "Environment": {
                "Variables": {
                    "CAPABILITY_FILE": f"capabilities/{Path(capability.source).name}",
                    secret_env: secret,
                    "POWERTOOLS_SERVICE_NAME": f"naftiko-{capability.name}",
                    "REST_API_KEY_REQUIRED": {"Fn::If": ["RequireApiKey", "true", "false"]},
                    **declared(capability),
                }
            },
            "Policies": [policy, idempotency_policy([capability.name])],
            "ReservedConcurrentExecutions": if_reserved("ReserveRest", "RestReservedConcurrency"),
            "Events": {
                "Proxy": {
                    "Type": "Api",
                    "Properties": {
                        "RestApiId": {"Ref": "RestApi"},
                        "Path": f"/{capability.name}/{{proxy+}}",
                        "Method": "ANY",
                    },
                },
                **docs_events(capability.name),
            },
        },
    }


def docs_events(capability: str) -> dict[str, Any]:
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
