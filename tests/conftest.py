"""Shared fixtures: a loopback upstream, credentials, and an autouse reset of every cache."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from naftiko_lambda.consumes.transport import reset_pool
from naftiko_lambda.credentials import CredentialSource, reset_secret_cache

from .support.upstream import UpstreamServer

ROOT = Path(__file__).resolve().parents[1]
CAPABILITIES = ROOT / "capabilities"
SEEDS = ("m3ter", "m3ter-balances", "m3ter-billjob", "m3ter-marketplace-integrations", "suger-metering")
"""The capabilities this project ships (copies of the seeds): tests of them name them, so a user's
own capability beside them changes no test."""
SEED_FILES = tuple(CAPABILITIES / f"{name}.yaml" for name in SEEDS)
SEED_DIR = Path(tempfile.mkdtemp(prefix="naftiko-seeds-"))
"""A folder holding the seeds only, for tests of "every capability" through a handler."""
for _seed in SEED_FILES:
    shutil.copy(_seed, SEED_DIR / _seed.name)
EVENTS = ROOT / "events"
CORPUS = ROOT.parent / "shared" / "naftiko-corpus"
SEED_ENV = {"M3TER_API_KEY": "m3ter-test-key", "M3TER_TOKEN": "m3ter-test-token", "SUGER_API_KEY": "Key suger-test"}


@pytest.fixture(autouse=True)
def _reset_caches() -> Iterator[None]:
    from naftiko_lambda import reset_caches

    reset_caches()
    yield
    reset_caches()


@pytest.fixture(autouse=True)
def _close_stray_event_loop() -> Iterator[None]:
    """Mangum sets a new event loop on the thread that builds it when none is set; close it after
    each test so it is not garbage-collected unclosed in a later one (a ResourceWarning)."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def upstream() -> Iterator[UpstreamServer]:
    with UpstreamServer() as server:
        yield server


@pytest.fixture
def seed_credentials() -> CredentialSource:
    return CredentialSource(environ=dict(SEED_ENV))


__all__ = ["reset_secret_cache", "reset_pool"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from .support.reliability import write_report

    write_report()
