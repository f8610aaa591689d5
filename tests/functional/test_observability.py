"""Logs, metrics and traces of an upstream call, as Lambda would ship them."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from naftiko_lambda import observability
from naftiko_lambda.exposes.rest.handler import create_handler
from naftiko_lambda.observability import redact
from naftiko_lambda.settings import Settings

from ..conftest import CAPABILITIES, SEED_ENV
from ..support.events import apigw_event
from ..support.upstream import Reply, UpstreamServer


class _Context:
    aws_request_id = "req-7f3c"
    function_name = "naftiko-test"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:naftiko-test"


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []
    powertools = observability.logger()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(powertools.logger_formatter)
    powertools._logger.addHandler(handler)
    yield lines
    powertools._logger.removeHandler(handler)


def _handler(upstream: UpstreamServer, **extra: str) -> Any:
    environ = {
        "CAPABILITY_FILE": str(CAPABILITIES / "m3ter-billjob.yaml"),
        "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url,
        **SEED_ENV,
        **extra,
    }
    return create_handler(Settings.from_environ(environ))


def test_one_structured_line_per_upstream_call_with_correlation_id(
    upstream: UpstreamServer, log_lines: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.reply(Reply(200, {"id": "bj"}))
    _handler(upstream)(apigw_event(1, "GET", "/m3ter-billjob/v1/organizations/o/billjobs/bj"), _Context())
    (line,) = [entry for entry in log_lines if entry["message"] == "upstream call"]
    assert line["capability"] == "m3ter-billjob"
    assert line["operation"] == "m3ter-billjob.getbilljob"
    assert line["upstream_status"] == 200
    assert line["correlation_id"] == "req-7f3c"
    assert isinstance(line["duration_ms"], float)
    emf = [json.loads(out) for out in capsys.readouterr().out.splitlines() if out.startswith('{"_aws"')]
    (metrics,) = emf
    names = {m["Name"] for m in metrics["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert names == {"UpstreamCalls", "UpstreamErrors", "UpstreamLatency"}
    assert metrics["operation"] == "m3ter-billjob.getbilljob" and metrics["UpstreamErrors"] == [0.0]


def test_failed_call_counts_as_error(
    upstream: UpstreamServer, log_lines: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.reply(Reply(500, {"e": 1}))
    _handler(upstream)(apigw_event(2, "GET", "/m3ter-billjob/v1/organizations/o/billjobs/bj"), None)
    assert [entry["upstream_status"] for entry in log_lines if entry["message"] == "upstream call"] == [500]
    emf = [json.loads(out) for out in capsys.readouterr().out.splitlines() if out.startswith('{"_aws"')]
    assert emf[-1]["UpstreamErrors"] == [1.0]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer abcdef123456", "abcdef123456"),
        ("url=/x?api_key=s3cr3tvalue&y=1", "s3cr3tvalue"),
        ('{"token": "tok-123456"}', "tok-123456"),
        ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("password=hunter22", "hunter22"),
        ("password: hunter ok", "hunter"),  # a lowercase word with prose after it is still a value
        ("password: dragon\nnext", "dragon"),
        ("apikey=deadbeefcafe rest", "deadbeefcafe"),
    ],
)
def test_redaction(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


@pytest.mark.parametrize(
    "hint",
    [
        "credential M3TER_API_KEY: not configured: set the environment variable M3TER_API_KEY",
        "'CapabilitySecretM3ter' is a logical id under sam local, not a secret: pass M3TER_API_KEY with --env-vars",
    ],
)
def test_the_projects_own_hints_are_not_redacted(hint: str) -> None:
    assert redact(hint) == hint


def test_xray_subsegment_per_upstream_call(upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """In Lambda with tracing on, each upstream call is a subsegment sent to the X-Ray daemon
    (here a UDP socket on loopback standing in for it)."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(5)
    port = daemon.getsockname()[1]
    for key, value in {
        "AWS_LAMBDA_FUNCTION_NAME": "naftiko-test",
        "LAMBDA_TASK_ROOT": "/var/task",
        "_X_AMZN_TRACE_ID": "Root=1-6740d2a1-3f1e2d4c5b6a79801a2b3c4d;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }.items():
        monkeypatch.setenv(key, value)
    upstream.reply(Reply(200, {"id": "bj"}))
    handler = _handler(upstream, AWS_LAMBDA_FUNCTION_NAME="naftiko-test")
    try:
        handler(apigw_event(1, "GET", "/m3ter-billjob/v1/organizations/o/billjobs/bj"), _Context())
        packet = daemon.recv(65536).decode()
    finally:
        daemon.close()
        observability.tracing_enabled = False
    document = json.loads(packet.split("\n", 1)[1])
    assert document["name"] == "## upstream m3ter-billjob.getbilljob"
    assert document["annotations"] == {"capability": "m3ter-billjob", "operation": "m3ter-billjob.getbilljob"}
    assert document["trace_id"] == "1-6740d2a1-3f1e2d4c5b6a79801a2b3c4d"


def test_logs_and_metrics_carry_the_functions_service_name(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The template names each function's service (POWERTOOLS_SERVICE_NAME): it was ignored."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "naftiko-m3ter-billjob")
    observability.reset_observability()
    upstream.reply(Reply(200, {"id": "bj"}))
    _handler(upstream)(apigw_event(1, "GET", "/m3ter-billjob/v1/organizations/o/billjobs/bj"), _Context())
    lines = [json.loads(out) for out in capsys.readouterr().out.splitlines() if out.startswith("{")]
    (log,) = [line for line in lines if line.get("message") == "upstream call"]
    (emf,) = [line for line in lines if "_aws" in line]
    assert log["service"] == emf["service"] == "naftiko-m3ter-billjob"
    observability.reset_observability()
