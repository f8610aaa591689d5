"""The template's fixed choices and the names it makes (pure)."""

from __future__ import annotations

import re

RUNTIME = "python3.13"
FUNCTION_TIMEOUT_S = 28
"""Under API Gateway's 29 s integration timeout, so the caller gets our answer, not a 504 of its own."""
MCP_TIMEOUT_S = 30
MEMORY_MB = 1024
"""More memory buys more CPU: a 1 GB function cold-starts the ~0.8 s of imports about twice as fast as 512 MB."""
PLACEHOLDER = "REPLACE_ME"
ALIAS = "live"
"""Every function publishes a version behind this alias; the API and the function URL call it."""


def logical_id(name: str) -> str:
    """``m3ter-billjob`` -> ``M3terBilljob``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def if_reserved(condition: str, parameter: str) -> dict[str, object]:
    """A function's reserved concurrency: the parameter, or unset when the condition says so."""
    return {"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}


def idempotency_policy(capabilities: list[str]) -> dict[str, object]:
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
