"""Shared pieces of the reliability suite: a canary secret, log capture, handlers on a loopback upstream."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from naftiko_lambda import observability
from naftiko_lambda.capability.load import load_capabilities
from naftiko_lambda.exposes.mcp.handler import create_handler as create_mcp
from naftiko_lambda.exposes.rest.handler import create_handler as create_rest
from naftiko_lambda.settings import Settings, base_uri_variable

from ..conftest import CAPABILITIES
from ..support.mcp_lambda import LambdaTransport
from ..support.upstream import UpstreamServer

CANARY = "CANARY-5ecret-9f8e7d6c5b4a"
MCP_TOKEN = "reliability-mcp-token-0123456789abcdef"
CAPS = load_capabilities(CAPABILITIES)


def canary_environ(upstream_url: str, **extra: str) -> dict[str, str]:
    environ = {
        "CAPABILITIES_DIR": str(CAPABILITIES),
        "MCP_BEARER_TOKENS": MCP_TOKEN,
        "M3TER_API_KEY": CANARY,
        "M3TER_TOKEN": CANARY,
        "SUGER_API_KEY": "Key " + CANARY,
        **extra,
    }
    for capability in CAPS:
        for namespace in capability.consumes:
            environ[base_uri_variable(namespace)] = upstream_url
    return environ


@pytest.fixture
def rest_billjob(upstream: UpstreamServer) -> Any:
    environ = canary_environ(upstream.url, CAPABILITY_FILE=str(CAPABILITIES / "m3ter-billjob.yaml"))
    return create_rest(Settings.from_environ(environ))


@pytest.fixture
def mcp_transport(upstream: UpstreamServer) -> Iterator[LambdaTransport]:
    with LambdaTransport(lambda: create_mcp(Settings.from_environ(canary_environ(upstream.url)))) as transport:
        yield transport


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs(capfd: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Every log line (formatted exactly as shipped, redaction included) plus stdout/stderr (EMF)."""
    powertools = observability.logger()
    collect = _Collect()
    collect.setFormatter(powertools.logger_formatter)
    powertools._logger.addHandler(collect)

    def read() -> str:
        out, err = capfd.readouterr()
        return "\n".join(collect.lines) + "\n" + out + err

    yield read
    powertools._logger.removeHandler(collect)
