"""consumes/tokens.py: a client-credentials token source and the token endpoint's answer (the pure parts)."""

from __future__ import annotations

import json

import pytest
from naftiko_lambda.consumes.tokens import read_token, token_request, token_source
from naftiko_lambda.errors import CredentialError

SOURCE = {"oauth2": {"tokenUrl": "https://auth.example/token", "clientId": "id", "clientSecret": "s3cret"}}


def test_a_plain_value_is_no_token_source() -> None:
    assert token_source("just-a-token", "K") is None
    assert token_source("{not json", "K") is None


def test_a_source_becomes_a_form_post_with_basic_client_auth() -> None:
    source = token_source(json.dumps(SOURCE), "K")
    assert source is not None and "s3cret" not in repr(source)
    request = token_request(source)
    assert request.method == "POST" and request.body == b"grant_type=client_credentials"
    assert dict(request.headers)["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "raw",
    [
        {"oauth2": {"tokenUrl": "https://a/t", "clientId": "id"}},
        {"oauth2": {**SOURCE["oauth2"], "clientAuth": "jwt"}},
        {"oauth2": {**SOURCE["oauth2"], "tokenUrl": "http://auth.example/token"}},
    ],
)
def test_an_unusable_source_names_the_key(raw: dict[str, object]) -> None:
    with pytest.raises(CredentialError) as err:
        token_source(raw, "UP_TOKEN")
    assert err.value.key == "UP_TOKEN"


def test_the_answer_gives_the_token_and_its_lifetime() -> None:
    assert read_token(200, b'{"access_token": "t", "expires_in": 60}', "K") == ("t", 60.0)
    with pytest.raises(CredentialError):
        read_token(200, b'{"token_type": "Bearer"}', "K")
    with pytest.raises(CredentialError):
        read_token(401, b"{}", "K")
