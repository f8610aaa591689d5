"""The MCP function's part of the stack: the function serving every capability, its function URL
and the permissions SAM leaves out, and its outputs."""

from __future__ import annotations

from typing import Any

from .names import MCP_TIMEOUT_S, idempotency_policy, if_reserved
from .stack import Stack


def add_mcp_function(stack: Stack, capabilities: list[str]) -> None:
    """``capabilities``: the names of the capabilities it serves (their records in the table)."""
    environment: dict[str, Any] = {
        "CAPABILITIES_DIR": "capabilities",
        "MCP_AUTH": {"Ref": "McpAuth"},
        "MCP_OAUTH_ISSUER": {"Ref": "McpOAuthIssuer"},
        "MCP_OAUTH_AUDIENCE": {"Ref": "McpOAuthAudience"},
        "MCP_OAUTH_SCOPES": {"Ref": "McpOAuthScopes"},
        "MCP_OAUTH_WRITE_SCOPE": {"Ref": "McpOAuthWriteScope"},
        "MCP_TOOL_MODE": {"Ref": "McpToolMode"},
        "MCP_TOOLS_INCLUDE": {"Ref": "McpToolsInclude"},
        "MCP_TOOLS_EXCLUDE": {"Ref": "McpToolsExclude"},
        "MCP_READ_ONLY": {"Ref": "McpReadOnly"},
        "MCP_OAUTH_RESOURCE": "",
        "MCP_OAUTH_VALIDATION": "",
        "MCP_OAUTH_COGNITO": "",  # "true": client_id may stand in for aud (an issuer on a Cognito host is anyway)
        "MCP_OAUTH_CLIENT_ID": "",
        "MCP_OAUTH_CLIENT_SECRET": "",
        "MCP_TOKENS_SECRET": {"Ref": "McpTokens"},
        "MCP_BEARER_TOKENS": "",  # a local override (sam local --env-vars); deployed, the secret holds them
        "MCP_READ_ONLY_BEARER_TOKENS": "",  # likewise; deployed, the secret's readOnlyTokens
        "POWERTOOLS_SERVICE_NAME": "naftiko-mcp",
    }
    tokens = {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "McpTokens"}}}
    stack.resources["McpFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": "MCP server (stateless Streamable HTTP) for every capability",
            "CodeUri": "functions/",
            "Handler": "mcp_server/handler.handler",
            "Timeout": MCP_TIMEOUT_S,
            "Environment": {
                "Variables": {**environment, **stack.mcp_environment, **dict(sorted(stack.mcp_variables.items()))}
            },
            # The MCP function serves every capability, so it alone may read every capability's secret.
            "Policies": [tokens, *stack.mcp_policies, idempotency_policy(list(capabilities))],
            "ReservedConcurrentExecutions": if_reserved("ReserveMcp", "McpReservedConcurrency"),
            "FunctionUrlConfig": {"AuthType": {"Ref": "McpFunctionUrlAuth"}},
        },
        # functions/Makefile: the capabilities with their compiled forms (the MCP index).
        "Metadata": {"BuildMethod": "makefile"},
    }
    # SAM adds these only for a literal AuthType NONE, not for a parameter: without them AWS
    # refuses every call to the URL (403) before the function's own check runs.
    alias = {"Ref": "McpFunction.Alias"}
    stack.resources["McpUrlPublicAccess"] = {
        "Type": "AWS::Lambda::Permission",
        "Condition": "McpUrlOpen",
        "Properties": {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": alias,
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    }
    stack.resources["McpUrlInvokeAccess"] = {
        "Type": "AWS::Lambda::Permission",
        "Condition": "McpUrlOpen",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": alias,
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
    }
    stack.outputs["McpUrl"] = {
        "Description": "MCP endpoint (all capabilities); /mcp/<capability> for one",
        "Value": {"Fn::GetAtt": ["McpFunctionUrl", "FunctionUrl"]},
    }
    stack.outputs["McpTokenSecretId"] = {
        "Description": "Secret holding the MCP bearer token",
        "Value": {"Ref": "McpTokens"},
    }
    stack.outputs["RestApiKeyId"] = {
        "Condition": "RequireApiKey",
        "Description": "API key id for the REST API (aws apigateway get-api-key --include-value --api-key <id>)",
        "Value": {"Ref": "RestApiApiKey"},
    }
