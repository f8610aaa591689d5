"""Credentials from the environment and from Secrets Manager (moto), and the 401 refresh."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from naftiko_lambda import CredentialError, CredentialSource, Upstreams, load_capability, run
from naftiko_lambda.consumes.transport import Urllib3Transport

from ..conftest import CAPABILITIES
from ..support.upstream import Reply, UpstreamServer


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_environment_wins_over_the_secret(secrets: object) -> None:
    secrets.create_secret(Name="cap", SecretString=json.dumps({"K": "from-secret"}))  # type: ignore[attr-defined]
    assert CredentialSource({"K": "from-env"}, "cap").get("K").reveal() == "from-env"
    assert CredentialSource({}, "cap").get("K").reveal() == "from-secret"


def test_secret_without_the_key_is_a_clear_error(secrets: object) -> None:
    secrets.create_secret(Name="cap", SecretString=json.dumps({"OTHER": "x"}))  # type: ignore[attr-defined]
    with pytest.raises(CredentialError) as err:
        CredentialSource({}, "cap").get("K")
    assert err.value.key == "K" and "x" not in str(err.value)


def test_unreadable_secret_is_a_credential_error(secrets: object) -> None:
    with pytest.raises(CredentialError, match="cannot be read"):
        CredentialSource({}, "no-such-secret").get("K")


def test_not_configured_names_the_variable() -> None:
    with pytest.raises(CredentialError, match="set the environment variable M3TER_API_KEY"):
        CredentialSource({}).get("M3TER_API_KEY")


def test_secret_value_is_masked() -> None:
    secret = CredentialSource({"K": "hunter2"}).get("K")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)


def test_401_fetches_the_secret_afresh_once(secrets: object, upstream: UpstreamServer) -> None:
    secrets.create_secret(Name="cap", SecretString=json.dumps({"M3TER_API_KEY": "old"}))  # type: ignore[attr-defined]
    capability = load_capability(CAPABILITIES / "m3ter-billjob.yaml")
    operation = next(o for o in capability.tools if o.name == "retrieve-billjob")
    credentials = CredentialSource({}, "cap")
    upstreams = Upstreams({"m3ter-billjob": upstream.url})
    upstream.reply(Reply(200, {"id": "1"}))
    run(
        capability,
        operation,
        {"orgId": "o", "id": "1"},
        credentials=credentials,
        transport=Urllib3Transport(),
        upstreams=upstreams,
    )
    assert upstream.last.headers["Authorization"] == "Bearer old"

    secrets.put_secret_value(SecretId="cap", SecretString=json.dumps({"M3TER_API_KEY": "new"}))  # type: ignore[attr-defined]
    upstream.reply(Reply(401, {"message": "expired"}), Reply(200, {"id": "1"}))
    outcome = run(
        capability,
        operation,
        {"orgId": "o", "id": "1"},
        credentials=credentials,
        transport=Urllib3Transport(),
        upstreams=upstreams,
    )
    assert outcome.data == {"id": "1"}
    assert [r.headers["Authorization"] for r in upstream.received[-2:]] == ["Bearer old", "Bearer new"]
