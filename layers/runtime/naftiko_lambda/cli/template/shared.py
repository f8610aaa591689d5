"""What the stack holds once, whatever its capabilities: the layer, the REST API, the idempotency
table and the MCP token secret."""

from __future__ import annotations

from typing import Any

from .names import RUNTIME


def shared_resources() -> dict[str, Any]:
    return {
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
