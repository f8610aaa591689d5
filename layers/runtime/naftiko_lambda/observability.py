"""Logs, traces and metrics through Powertools, created on first use; secrets redacted.

One structured log line, one X-Ray subsegment (in Lambda with tracing on) and one EMF metric set
per upstream call. Each Powertools piece is imported only when first needed, so a cold start
that makes no upstream call pays for none of them. Log lines carry keys (capability, operation,
upstream status, duration, correlation id), never headers, bodies or query strings; the
formatter still scrubs anything that looks like a credential, as a second line of defence.

Module-level state (one Logger, Tracer and Metrics per process; the current request id) is
created lazily and reset by ``reset_observability()`` (tests).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

SERVICE = "naftiko-lambda"
"""The service name when POWERTOOLS_SERVICE_NAME is unset (the template sets it per function)."""
METRICS_NAMESPACE = "Naftiko"
"""Default EMF namespace (the template sets POWERTOOLS_METRICS_NAMESPACE to the same)."""

_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|digest|key)\s+[A-Za-z0-9._~+/=:-]{6,}")
_KEY_VALUE = re.compile(
    r"(?i)((?:api[_-]?key|apikey|access[_-]?token|token|secret|password|authorization|x-api-key)"
    r"[\"']?\s*[:=]\s*[\"']?)"
    # The project's own hints ("M3TER_API_KEY: not configured", "not a secret: pass it with
    # --env-vars") stay readable: only these words, followed by more prose, are not a value.
    r"(?!(?-i:not|pass|set|missing|unset|required|none) )[^\"'&\s,;}]+"
)


def redact(text: str) -> str:
    """Mask credential-looking values: ``Bearer abc...`` -> ``Bearer ***``, ``api_key=x`` -> ``api_key=***``."""
    return _KEY_VALUE.sub(r"\1***", _SCHEME_TOKEN.sub(r"\1 ***", text))


current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
"""The Lambda request id of the invocation being served (set by the Lambda entry)."""

_LOGGER: Any = None
_TRACER: Any = None
_METRICS: Any = None
_METRICS_LOCK = threading.Lock()  # Powertools Metrics keeps one metric set; `serve` has threads
tracing_enabled = False
"""Set by the Lambda entry when running in Lambda with X-Ray active."""


def service() -> str:
    """The function's service name: Powertools' own variable, read when the first piece is made."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE


def logger() -> Any:
    global _LOGGER
    if _LOGGER is None:
        from aws_lambda_powertools import Logger
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        class RedactingFormatter(LambdaPowertoolsFormatter):
            def format(self, record: Any) -> str:
                return redact(super().format(record))

        _LOGGER = Logger(service=service(), logger_formatter=RedactingFormatter())
    return _LOGGER


def _metrics() -> Any:
    global _METRICS
    if _METRICS is None:
        from aws_lambda_powertools import Metrics

        _METRICS = Metrics(namespace=METRICS_NAMESPACE, service=service())
    return _METRICS


@contextlib.contextmanager
def upstream_span(capability: str, operation: str) -> Iterator[None]:
    """An X-Ray subsegment around one upstream call, when tracing is on; otherwise nothing."""
    global _TRACER
    if not tracing_enabled:
        yield
        return
    if _TRACER is None:
        from aws_lambda_powertools import Tracer

        _TRACER = Tracer(service=service())
    with _TRACER.provider.in_subsegment(f"## upstream {operation}") as subsegment:
        subsegment.put_annotation("capability", capability)
        subsegment.put_annotation("operation", operation)
        yield


def record_upstream_call(capability: str, operation: str, status: int | str, duration_s: float) -> None:
    """One log line and one EMF metric set (calls, errors, latency) for an upstream call."""
    duration_ms = round(duration_s * 1000, 2)
    failed = not (isinstance(status, int) and status < 400)
    logger().info(
        "upstream call",
        extra={
            "capability": capability,
            "operation": operation,
            "upstream_status": status,
            "duration_ms": duration_ms,
            "correlation_id": current_request_id.get(),
        },
    )
    from aws_lambda_powertools.metrics import MetricUnit

    with _METRICS_LOCK:
        metrics = _metrics()
        metrics.add_dimension(name="operation", value=operation)
        metrics.add_metric(name="UpstreamCalls", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="UpstreamErrors", unit=MetricUnit.Count, value=1 if failed else 0)
        metrics.add_metric(name="UpstreamLatency", unit=MetricUnit.Milliseconds, value=duration_ms)
        metrics.flush_metrics()


def reset_observability() -> None:
    global _METRICS, _LOGGER
    if _METRICS is not None:
        _METRICS.clear_metrics()
    _METRICS = None
    _LOGGER = None
    current_request_id.set(None)
