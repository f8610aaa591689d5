"""Issue 24: Mastercard OAuth 1.0a and Veracode HMAC signed requests, checked by independent verifiers.

The loopback upstream verifies each request with tests/support/signing.py (its own RFC 5849 base
string and Veracode algorithm, nothing shared with consumes/signing/) against the public key or
the API key, and refuses a replayed nonce; the calls go through the real runner and transport
(retries, redirects) and the REST handler.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from naftiko_lambda import CredentialSource, Upstreams, load_capability, run
from naftiko_lambda.cli import main
from naftiko_lambda.consumes.signing.keys import signing_key
from naftiko_lambda.consumes.signing.veracode import veracode_signer
from naftiko_lambda.consumes.transport import Urllib3Transport
from naftiko_lambda.errors import CredentialError, UpstreamError

from ..support.deployment import Deployment, write_spec
from ..support.signing import Rejected, SigningUpstream, veracode_signature, verify_oauth1, verify_veracode
from ..support.upstream import Reply, UpstreamServer

CONSUMER_KEY = "consumer-key-0123456789!abc"
VERACODE_ID = "3ddaeeb10ca690df3fee5e3bd1c329fa"
VERACODE_KEY = "0123456789abcdef" * 8
MASTERCARD = """\
naftiko: "1.0.0-alpha2"
info: {label: Currency conversion, description: Mastercard's currency conversion API.}
capability:
  consumes:
  - type: http
    namespace: mastercard
    baseUri: https://api.mastercard.com/settlement/currencyrate
    authentication:
      type: oauth1
      consumerKey: '{{MASTERCARD_CONSUMER_KEY}}'
      signingKey: '{{MASTERCARD_SIGNING_KEY}}'
    resources:
    - name: rates
      path: /conversion-rate
      operations:
      - name: get-rate
        method: GET
        inputParameters:
        - {name: fxDate, in: query}
        - {name: transCurr, in: query}
        - {name: crdhldBillCurr, in: query}
      - name: search-rates
        method: POST
        body: {type: json, data: {search: {name: "{{name}}", amount: 100}}}
  exposes:
  - type: mcp
    namespace: tools
    port: 1
    tools:
    - {name: get-rate, description: A conversion rate, call: mastercard.get-rate, with: {fxDate: tools.fxDate, transCurr: tools.transCurr, crdhldBillCurr: tools.crdhldBillCurr}}
    - {name: search-rates, description: Search rates, call: mastercard.search-rates, with: {name: tools.name}}
"""
VERACODE = """\
naftiko: "1.0.0-alpha2"
info: {label: Veracode, description: Applications on Veracode.}
capability:
  consumes:
  - type: http
    namespace: veracode
    baseUri: https://api.veracode.com
    authentication: {type: hmac, apiId: '{{VERACODE_API_ID}}', apiKey: '{{VERACODE_API_KEY}}'}
    resources:
    - name: applications
      path: /appsec/v1/applications
      operations:
      - name: list-applications
        method: GET
        inputParameters:
        - {name: name, in: query}
  exposes:
  - type: rest
    namespace: api
    port: 1
    resources:
    - name: applications
      path: /applications
      operations:
      - {name: list, method: GET, call: veracode.list-applications, with: {name: rest.name}}
"""


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: Any, form: Any = serialization.PrivateFormat.PKCS8, encryption: Any = None) -> str:
    return key.private_bytes(serialization.Encoding.PEM, form, encryption or serialization.NoEncryption()).decode()


def oauth1_checker(key: rsa.RSAPrivateKey, upstream: UpstreamServer) -> SigningUpstream:
    public = key.public_key()

    def verify(handler: Any, body: bytes) -> str:
        url = upstream.url + handler.path  # the upstream is on loopback: what the runtime signed is this URL
        return verify_oauth1(handler.command, url, handler.headers["Authorization"], body, public, CONSUMER_KEY)

    return SigningUpstream(verify, {"rate": 1.1})


@pytest.fixture
def mastercard(tmp_path: Path, upstream: UpstreamServer) -> tuple[Any, rsa.RSAPrivateKey, UpstreamServer]:
    key = rsa_key()
    capability = load_capability(write_spec(tmp_path, "rates.yaml", MASTERCARD))
    return capability, key, upstream


def call(capability: Any, tool: str, inputs: dict[str, Any], upstream: UpstreamServer, environ: dict[str, str]) -> Any:
    operation = next(t for t in capability.tools if t.name == tool)
    return run(
        capability,
        operation,
        inputs,
        credentials=CredentialSource(environ=environ, variables=capability.variables),
        transport=Urllib3Transport(),
        upstreams=Upstreams({ns: upstream.url for ns in capability.consumes}),
    )


def env(key: Any, text: str | None = None) -> dict[str, str]:
    return {"MASTERCARD_CONSUMER_KEY": CONSUMER_KEY, "MASTERCARD_SIGNING_KEY": text if text is not None else pem(key)}


# -- OAuth 1.0a ----------------------------------------------------------------------------------


def test_a_get_with_a_query_is_signed_with_its_query_and_an_empty_body_hash(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    upstream.reply(Reply(action=checker))
    inputs = {"fxDate": "2026-01-31", "transCurr": "EUR", "crdhldBillCurr": "a b/c+d"}
    outcome = call(capability, "get-rate", inputs, upstream, env(key))
    assert checker.rejections == [] and outcome.data == {"rate": 1.1}
    sent = upstream.last
    assert sent.target == "/conversion-rate?fxDate=2026-01-31&transCurr=EUR&crdhldBillCurr=a%20b%2Fc%2Bd"
    assert 'oauth_body_hash="47DEQpj8HBSa%2B%2FTImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D"' in sent.headers["Authorization"]


def test_a_post_signs_the_exact_body_bytes(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    upstream.reply(Reply(action=checker))
    outcome = call(capability, "search-rates", {"name": "Acme/Élec +1"}, upstream, env(key))
    assert checker.rejections == [] and outcome.status == 200
    assert json.loads(upstream.last.body) == {"search": {"name": "Acme/Élec +1", "amount": 100}}


@pytest.mark.parametrize(
    "form",
    ["pkcs8", "pkcs1", "escaped-newlines", "p12"],
)
def test_every_key_form_signs(mastercard: Any, form: str) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    upstream.reply(Reply(action=checker))
    environ = env(key)
    if form == "pkcs1":
        environ["MASTERCARD_SIGNING_KEY"] = pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    elif form == "escaped-newlines":  # as an environment variable often carries it
        environ["MASTERCARD_SIGNING_KEY"] = pem(key).replace("\n", "\\n")
    elif form == "p12":  # Mastercard's keystore download, as base64, with its password in a second bind
        data = pkcs12.serialize_key_and_certificates(
            b"key", key, None, None, serialization.BestAvailableEncryption(b"keystore-password")
        )
        environ["MASTERCARD_SIGNING_KEY"] = base64.b64encode(data).decode()
        environ["MASTERCARD_KEY_PASSWORD"] = "keystore-password"
        text = MASTERCARD.replace(
            "      signingKey: '{{MASTERCARD_SIGNING_KEY}}'\n",
            "      signingKey: '{{MASTERCARD_SIGNING_KEY}}'\n      signingKeyPassword: '{{MASTERCARD_KEY_PASSWORD}}'\n",
        )
        capability = load_capability(write_spec(Path(capability.source).parent, "rates-p12.yaml", text))
    outcome = call(
        capability, "get-rate", {"fxDate": "2026-01-31", "transCurr": "EUR", "crdhldBillCurr": "USD"}, upstream, environ
    )
    assert checker.rejections == [] and outcome.status == 200


def test_a_retry_is_signed_again_with_a_fresh_nonce(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    upstream.reply(
        Reply(503, {"error": "busy"}, {"Content-Type": "application/json", "Retry-After": "0"}), Reply(action=checker)
    )
    outcome = call(
        capability, "get-rate", {"fxDate": "d", "transCurr": "EUR", "crdhldBillCurr": "USD"}, upstream, env(key)
    )
    first, second = (r.headers["Authorization"] for r in upstream.received)
    assert outcome.status == 200 and checker.rejections == []
    nonce = [p for p in first.split(",") if p.startswith("oauth_nonce")]
    assert nonce and nonce[0] not in second  # the same nonce twice would be refused as a replay


def test_a_redirect_to_the_same_host_is_signed_for_where_it_goes(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    moved = "/v2/conversion-rate?fxDate=d"
    upstream.reply(Reply(307, b"", {"Location": moved}), Reply(action=checker))
    outcome = call(
        capability, "get-rate", {"fxDate": "d", "transCurr": "EUR", "crdhldBillCurr": "USD"}, upstream, env(key)
    )
    assert outcome.status == 200 and checker.rejections == [] and upstream.last.target == moved


def test_the_upstream_refuses_a_replayed_request_and_a_wrong_key(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    checker = oauth1_checker(key, upstream)
    upstream.reply(Reply(action=checker))
    call(capability, "get-rate", {"fxDate": "d", "transCurr": "EUR", "crdhldBillCurr": "USD"}, upstream, env(key))
    sent = upstream.last
    replay = urllib3.request(
        "GET", upstream.url + sent.target, headers={"Authorization": sent.headers["Authorization"]}
    )
    assert replay.status == 401 and "replay" in checker.rejections[-1]
    with pytest.raises(UpstreamError) as refused:
        call(
            capability,
            "get-rate",
            {"fxDate": "d", "transCurr": "EUR", "crdhldBillCurr": "USD"},
            upstream,
            env(rsa_key()),
        )
    assert refused.value.status == 401 and refused.value.body == {"error": "the signature does not verify"}


def test_the_verifier_is_not_fooled_by_a_changed_request(mastercard: Any) -> None:
    capability, key, upstream = mastercard
    upstream.reply(Reply())
    call(capability, "search-rates", {"name": "x"}, upstream, env(key))
    sent = upstream.last
    url = upstream.url + sent.target
    assert verify_oauth1("POST", url, sent.headers["Authorization"], sent.body, key.public_key(), CONSUMER_KEY)
    for method, target, body in (
        ("PUT", url, sent.body),
        ("POST", url + "&x=1", sent.body),
        ("POST", url, sent.body + b" "),
    ):
        with pytest.raises(Rejected):
            verify_oauth1(method, target, sent.headers["Authorization"], body, key.public_key(), CONSUMER_KEY)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not a key at all", "neither a PEM private key nor a base64 .p12"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a usable private key"),
        ("ENCRYPTED", "encrypted private key and no password"),
        ("EC", "not an RSA private key"),
        ("P12", "bind its password too"),
    ],
)
def test_an_unusable_signing_key_is_a_credential_error_naming_the_bind(text: str, says: str) -> None:
    if text == "ENCRYPTED":
        text = pem(rsa_key(), encryption=serialization.BestAvailableEncryption(b"pw"))
    elif text == "EC":
        text = pem(ec.generate_private_key(ec.SECP256R1()))
    elif text == "P12":
        text = base64.b64encode(
            pkcs12.serialize_key_and_certificates(b"k", rsa_key(), None, None, serialization.NoEncryption())
        ).decode()
    with pytest.raises(CredentialError) as raised:
        signing_key(text, "MASTERCARD_SIGNING_KEY")
    assert raised.value.key == "MASTERCARD_SIGNING_KEY" and says in str(raised.value)
    assert "AAAA" not in str(raised.value) and raised.value.__cause__ is None


def test_validate_explains_a_bad_signing_key_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_spec(tmp_path, "rates.yaml", MASTERCARD)
    monkeypatch.setenv("MASTERCARD_SIGNING_KEY", "a p12 password, not a key")
    assert main(["validate", str(file)]) == 1
    out = capsys.readouterr().out
    assert "MASTERCARD_SIGNING_KEY" in out and "openssl pkcs12" in out and "password, not" not in out
    monkeypatch.setenv("MASTERCARD_SIGNING_KEY", pem(rsa_key()))
    assert main(["validate", str(file)]) == 0


def test_the_template_declares_the_signing_binds(tmp_path: Path) -> None:
    from naftiko_lambda.cli.template import build_template

    capability = load_capability(write_spec(tmp_path, "rates.yaml", MASTERCARD))
    variables = build_template((capability,))["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert {"MASTERCARD_CONSUMER_KEY", "MASTERCARD_SIGNING_KEY"} <= set(capability.variables)
    assert any("MASTERCARD" in str(v) or "MASTERCARD" in k for k, v in variables.items())


# -- Veracode HMAC -------------------------------------------------------------------------------


def test_the_veracode_signature_matches_the_published_vector() -> None:
    """Veracode's example: id, key, host, url, GET at a fixed time and nonce (the vendor's own signer
    gives this signature); the verifier computes it on its own."""
    sign = veracode_signer(
        VERACODE_ID, VERACODE_KEY, clock=lambda: 1445452792.746, nonces=lambda: "3b1974fbaa7c97cc3b1974fbaa7c97cc"
    )
    name, header = sign("GET", "https://api.veracode.com/appsec/v1/applications?page=0", None)
    expected = "d235ca2c4f3fc128aca358529b89dab0295ef479f2d72c1342f04492ef96d642"
    assert name == "Authorization" and header.endswith(f",sig={expected}")
    assert (
        veracode_signature(
            VERACODE_ID,
            VERACODE_KEY,
            "api.veracode.com",
            "/appsec/v1/applications?page=0",
            "GET",
            "1445452792746",
            "3b1974fbaa7c97cc3b1974fbaa7c97cc",
        )
        == expected
    )


def test_veracode_requests_through_the_rest_handler_verify_and_a_wrong_key_fails(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    host = urlsplit(upstream.url).netloc

    def verify(handler: Any, body: bytes) -> str:
        return verify_veracode(
            handler.command,
            host.split(":")[0],
            handler.path,
            handler.headers["Authorization"],
            VERACODE_ID,
            VERACODE_KEY,
        )

    checker = SigningUpstream(verify, [{"guid": "a1"}])
    upstream.reply(Reply(action=checker))
    folder = tmp_path / "capabilities"
    write_spec(folder, "veracode.yaml", VERACODE)
    deployment = Deployment(folder, upstream.url, {"VERACODE_API_ID": VERACODE_ID, "VERACODE_API_KEY": VERACODE_KEY})
    response = deployment.rest("veracode", "GET", "/applications", query={"name": "my app"})
    assert response.status == 200 and response.json == [{"guid": "a1"}] and checker.rejections == []
    assert upstream.last.target == "/appsec/v1/applications?name=my%20app"
    wrong = Deployment(folder, upstream.url, {"VERACODE_API_ID": VERACODE_ID, "VERACODE_API_KEY": "ab" * 64})
    refused = wrong.rest("veracode", "GET", "/applications", query={"name": "x"})
    assert refused.status == 502 and refused.json["title"] == "Upstream refused our credentials"
    assert refused.json["upstream"] == {"status": 401, "body": {"error": "the signature does not verify"}}
    assert checker.rejections == ["the signature does not verify"]


def test_an_upstream_echoing_the_signed_header_does_not_hand_our_id_to_the_caller(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    """The signature header carries the API id (and Mastercard's the consumer key): both are
    credentials, masked in the problem's ``upstream.body`` like any other."""

    def echo(handler: Any) -> None:
        data = json.dumps({"error": "no", "you sent": handler.headers["Authorization"]}).encode()
        handler.send_response(401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    upstream.reply(Reply(action=echo))
    folder = tmp_path / "capabilities"
    write_spec(folder, "veracode.yaml", VERACODE)
    deployment = Deployment(folder, upstream.url, {"VERACODE_API_ID": VERACODE_ID, "VERACODE_API_KEY": VERACODE_KEY})
    refused = deployment.rest("veracode", "GET", "/applications", query={"name": "x"})
    assert refused.status == 502 and "VERACODE-HMAC-SHA-256" in refused.json["upstream"]["body"]["you sent"]
    assert VERACODE_ID not in json.dumps(refused.json) and VERACODE_KEY not in json.dumps(refused.json)


# -- the importer ----------------------------------------------------------------------------------

RATES_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Currency Conversion", "version": "1.0"},
    "servers": [{"url": "https://api.mastercard.com/settlement/currencyrate"}],
    "components": {"securitySchemes": {"mc": {"type": "http", "scheme": "OAuth"}}},
    "security": [{"mc": []}],
    "paths": {
        "/conversion-rate": {
            "get": {
                "operationId": "getRate",
                "parameters": [{"name": "fxDate", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "A rate"}},
            }
        }
    },
}


def test_an_imported_oauth_scheme_is_signed_as_mastercard_requires(tmp_path: Path, upstream: UpstreamServer) -> None:
    source = tmp_path / "rates.json"
    source.write_text(json.dumps(RATES_OPENAPI))
    assert main(["import", "openapi", str(source), "-o", str(tmp_path / "out")]) == 0
    (file,) = sorted((tmp_path / "out").glob("*.yaml"))
    assert "bind CURRENCY_CONVERSION_CONSUMER_KEY and CURRENCY_CONVERSION_SIGNING_KEY" in file.read_text()
    capability = load_capability(file)
    assert sorted(capability.binds) == ["CURRENCY_CONVERSION_CONSUMER_KEY", "CURRENCY_CONVERSION_SIGNING_KEY"]
    key = rsa_key()
    checker = oauth1_checker(key, upstream)
    upstream.reply(Reply(action=checker))
    operation = capability.tools[0]
    environ = {"CURRENCY_CONVERSION_CONSUMER_KEY": CONSUMER_KEY, "CURRENCY_CONVERSION_SIGNING_KEY": pem(key)}
    outcome = run(
        capability,
        operation,
        {"fxDate": "2026-01-31"},
        credentials=CredentialSource(environ=environ, variables=capability.variables),
        transport=Urllib3Transport(),
        upstreams=Upstreams({ns: upstream.url for ns in capability.consumes}),
    )
    assert checker.rejections == [] and outcome.data == {"rate": 1.1}
