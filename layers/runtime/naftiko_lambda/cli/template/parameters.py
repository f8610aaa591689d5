"""The stack's parameters, conditions and rules: what an operator chooses at deploy (data)."""

from __future__ import annotations

from typing import Any

from ...runner.idempotency import WINDOW_S


def parameters() -> dict[str, Any]:
    return {
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
        "McpOAuthWriteScope": {
            "Type": "String",
            "Default": "",
            "Description": "McpAuth=oauth2: the scope a token needs to see and call tools that are not readOnly "
            "(a token without it is a read-only caller). Empty: every accepted token may call every tool.",
        },
        "McpToolMode": {
            "Type": "String",
            "Default": "list",
            "AllowedValues": ["list", "search", "search-all"],
            "Description": "list (default): tools/list shows every tool. search: /mcp lists search_tools and "
            "call_tool, which find and call the others (every tool stays callable by name). search-all: every "
            "MCP endpoint does.",
        },
        "McpToolsInclude": {
            "Type": "String",
            "Default": "",
            "Description": "Only these tools are served: comma-separated globs over <capability>__<tool>, or "
            "tag:<tag> (a capability's info tag). Empty: every tool.",
        },
        "McpToolsExclude": {
            "Type": "String",
            "Default": "",
            "Description": "These tools are never served (absent from lists and search; calling one is an unknown "
            "tool): comma-separated globs over <capability>__<tool>, or tag:<tag>.",
        },
        "McpReadOnly": {
            "Type": "String",
            "Default": "false",
            "AllowedValues": ["false", "true"],
            "Description": "true: only tools whose hints say readOnly are served.",
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


def conditions() -> dict[str, Any]:
    return {
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


def rules() -> dict[str, Any]:
    return {
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
