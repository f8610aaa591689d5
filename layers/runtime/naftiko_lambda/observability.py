"""Powertools Logger, created once per process; one structured line per upstream call.

The logger is made on first use (tests and the CLI never pay for it unless they log). Log
records carry keys, never prose with values in it, and never headers, bodies or query strings.
"""

from __future__ import annotations

from typing import Any

SERVICE = "naftiko-lambda"

# Module-level on purpose: one Logger per process (Powertools keeps handlers on it).
_LOGGER: Any = None


def logger() -> Any:
    global _LOGGER
    if _LOGGER is None:
        from aws_lambda_powertools import Logger

        _LOGGER = Logger(service=SERVICE)
    return _LOGGER


def record_upstream_call(capability: str, operation: str, status: int | str, duration_s: float) -> None:
    logger().info(
        "upstream call",
        extra={
            "capability": capability,
            "operation": operation,
            "upstream_status": status,
            "duration_ms": round(duration_s * 1000, 2),
        },
    )
