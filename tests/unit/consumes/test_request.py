from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from naftiko_lambda.errors import CredentialError, InvocationError

from ...support.capabilities import capability, request_for


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("../admin", "..%2Fadmin"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a/b", "a%2Fb"),
        ("a?x=1", "a%3Fx%3D1"),
        ("a#frag", "a%23frag"),
        ("%2F", "%252F"),
        ("a\r\nHost: evil", "a%0D%0AHost%3A%20evil"),
        ("a\x00b", "a%00b"),
        ("é ü", "%C3%A9%20%C3%BC"),
        ("@evil.com", "%40evil.com"),
    ],
)
def test_path_placeholder_is_one_percent_encoded_segment(value: str, segment: str) -> None:
    request = request_for(capability(), {"id": value})
    parts = urlsplit(request.url)
    assert parts.netloc == "api.example.com"
    assert parts.path == f"/v1/things/{segment}"
    assert parts.query == "" and parts.fragment == ""


def test_both_placeholder_dialects_are_filled() -> None:
    cap = capability(path="/a/{{first}}/b/{second}", params=[], with_={"first": "tools.x", "second": "tools.y"})
    assert request_for(cap, {"x": 1, "y": "two"}).url == "https://api.example.com/v1/a/1/b/two"


def test_input_reference_matches_case_insensitively() -> None:
    cap = capability(with_={"id": "tools.orgId"})
    assert request_for(cap, {"orgid": "o1"}).url.endswith("/things/o1")


def test_missing_path_value_names_the_parameter() -> None:
    with pytest.raises(InvocationError) as err:
        request_for(capability(), {})
    assert err.value.param == "id"


def test_empty_path_value_is_refused() -> None:
    with pytest.raises(InvocationError, match="empty"):
        request_for(capability(), {"id": ""})


def test_query_arrays_repeat_and_booleans_are_lowercase() -> None:
    cap = capability(
        params=[
            {"name": "id", "in": "path"},
            {"name": "tag", "in": "query", "type": "array"},
            {"name": "active", "in": "query", "type": "boolean"},
            {"name": "unused", "in": "query"},
        ],
        with_={"id": "tools.id", "tag": "tools.tag", "active": "tools.active", "unused": "tools.unused"},
    )
    request = request_for(cap, {"id": "1", "tag": ["a b", "c&d"], "active": False})
    assert urlsplit(request.url).query == "tag=a%20b&tag=c%26d&active=false"


def test_unmapped_required_consumed_parameter_is_not_sent_when_the_caller_gives_none() -> None:
    """Issue 9 item 3: required-ness is enforced on the exposed inputs, not on unmapped upstream ones."""
    cap = capability(params=[{"name": "id", "in": "path"}, {"name": "q", "in": "query", "required": True}])
    assert request_for(cap, {"id": "1"}).url == "https://api.example.com/v1/things/1"


def test_with_literals_templates_and_numbers() -> None:
    cap = capability(
        params=[{"name": "id", "in": "path"}, {"name": "kind", "in": "query"}, {"name": "n", "in": "query"}],
        with_={"id": "{{tools.a}}-{{tools.b}}", "kind": "start", "n": 5},
    )
    assert request_for(cap, {"a": "x", "b": "y"}).url == "https://api.example.com/v1/things/x-y?kind=start&n=5"


def test_header_param_rejects_crlf() -> None:
    cap = capability(
        params=[{"name": "id", "in": "path"}, {"name": "X-Trace", "in": "header"}],
        with_={"id": "tools.id", "X-Trace": "tools.trace"},
    )
    assert ("X-Trace", "t1") in request_for(cap, {"id": "1", "trace": "t1"}).headers
    with pytest.raises(InvocationError, match="CR, LF"):
        request_for(cap, {"id": "1", "trace": "t1\r\nX-Evil: 1"})


def test_header_param_must_be_latin1() -> None:
    """Issue 11 item 6: a non-Latin-1 header value is a 400 naming the parameter, not a crash."""
    cap = capability(
        params=[{"name": "id", "in": "path"}, {"name": "X-Trace", "in": "header"}],
        with_={"id": "tools.id", "X-Trace": "tools.trace"},
    )
    with pytest.raises(InvocationError, match="Latin-1") as err:
        request_for(cap, {"id": "1", "trace": "5 €"})
    assert err.value.param == "X-Trace"


def test_cookie_params_travel_in_one_cookie_header() -> None:
    cap = capability(
        params=[{"name": "id", "in": "path"}, {"name": "a", "in": "cookie"}, {"name": "b", "in": "cookie"}],
        with_={"id": "tools.id", "a": "tools.a", "b": "tools.b"},
    )
    assert ("Cookie", "a=1; b=x%3By") in request_for(cap, {"id": "1", "a": "1", "b": "x;y"}).headers


def test_body_fields_make_one_json_object() -> None:
    """Consumed ``in: body`` parameters other than ``body`` are fields of the JSON body."""
    cap = capability(
        method="POST",
        params=[
            {"name": "id", "in": "path"},
            {"name": "Arn", "in": "body", "type": "string"},
            {"name": "MaxResults", "in": "body", "type": "integer"},
        ],
        with_={"id": "tools.id", "Arn": "tools.arn", "MaxResults": "tools.max"},
    )
    request = request_for(cap, {"id": "1", "arn": "a:b", "max": 5})
    assert json.loads(request.body or b"") == {"Arn": "a:b", "MaxResults": 5}
    assert ("Content-Type", "application/json") in request.headers


def test_with_argument_declared_nowhere_is_not_sent() -> None:
    """Issue 9 item 2: an argument is sent only where the operation declares it or a template uses it."""
    cap = capability(with_={"id": "tools.id", "stray": "tools.stray"})
    assert request_for(cap, {"id": "1", "stray": "x"}).url == "https://api.example.com/v1/things/1"


def test_with_argument_used_by_a_body_template_is_not_also_a_query_parameter() -> None:
    """Issue 9 item 2: at-and-t/messaging sent the message (and a token) in the query too."""
    cap = capability(
        method="POST",
        with_={"id": "tools.id", "address": "tools.address", "token": "tools.token"},
        body={"type": "json", "data": {"address": "{{address}}", "token": "{{token}}"}},
    )
    request = request_for(cap, {"id": "1", "address": "tel:1", "token": "s3cret"})
    assert request.url == "https://api.example.com/v1/things/1"
    assert json.loads(request.body or b"") == {"address": "tel:1", "token": "s3cret"}


def test_json_text_template_renders_values_as_their_json_type() -> None:
    """Issue 9 item 5: a standalone placeholder is JSON, one inside a string is escaped text."""
    template = '{"ship": "{{ship}}", "crew": {{crew}}, "n": {{n}}, "cargo": {{cargo}}, "note": "say \\"{{q}}\\""}'
    cap = capability(
        method="POST",
        with_={
            "id": "tools.id",
            "ship": "tools.ship",
            "crew": "tools.crew",
            "n": "tools.n",
            "q": "tools.q",
            "cargo": "tools.cargo",
        },
        body=template,
    )
    request = request_for(cap, {"id": "1", "ship": 'Sea "Star"', "crew": ["c1", "c2"], "n": 3, "q": "hi"})
    assert json.loads(request.body or b"") == {
        "ship": 'Sea "Star"',
        "crew": ["c1", "c2"],
        "n": 3,
        "cargo": None,
        "note": 'say "hi"',
    }


def test_caller_cannot_set_upstream_authorization() -> None:
    cap = capability(
        params=[{"name": "id", "in": "path"}, {"name": "Authorization", "in": "header"}],
        with_={"id": "tools.id", "Authorization": "tools.auth"},
    )
    headers = dict(request_for(cap, {"id": "1", "auth": "Bearer attacker"}).headers)
    assert headers["Authorization"] == "Bearer tok"


def test_body_param_is_the_json_body() -> None:
    cap = capability(
        method="POST",
        params=[{"name": "id", "in": "path"}, {"name": "body", "in": "body", "type": "object"}],
        with_={"id": "tools.id", "body": "tools.body"},
    )
    request = request_for(cap, {"id": "1", "body": {"a": [1, "x"]}})
    assert json.loads(request.body or b"") == {"a": [1, "x"]}
    assert ("Content-Type", "application/json") in request.headers


def test_json_body_template_keeps_types_and_drops_missing() -> None:
    cap = capability(
        method="POST",
        body={"type": "json", "data": {"name": "{{tools.name}}", "n": "{{tools.n}}", "opt": "{{tools.opt}}", "k": "s"}},
    )
    request = request_for(cap, {"id": "1", "name": 'He said "hi"\n', "n": 3})
    assert json.loads(request.body or b"") == {"name": 'He said "hi"\n', "n": 3, "k": "s"}


def test_json_string_template_escapes_values() -> None:
    cap = capability(method="POST", body={"type": "json", "data": '{"name": "{{tools.name}}"}'})
    request = request_for(cap, {"id": "1", "name": 'quote " and \\ and \n'})
    assert json.loads(request.body or b"") == {"name": 'quote " and \\ and \n'}


def test_form_body_is_url_encoded() -> None:
    cap = capability(method="POST", body={"type": "formUrlEncoded", "data": {"a": "{{tools.a}}", "b": "x y"}})
    request = request_for(cap, {"id": "1", "a": "1&2=3"})
    assert request.body == b"a=1%262%3D3&b=x+y"
    assert ("Content-Type", "application/x-www-form-urlencoded") in request.headers


def test_text_body_is_rendered() -> None:
    cap = capability(method="POST", body={"type": "text", "data": "metric {{tools.v}}"})
    request = request_for(cap, {"id": "1", "v": 42})
    assert request.body == b"metric 42"
    assert ("Content-Type", "text/plain") in request.headers


@pytest.mark.parametrize(
    ("auth", "header", "value", "query"),
    [
        ({"type": "bearer", "token": "{{env.API_TOKEN}}"}, "Authorization", "Bearer tok", ""),
        ({"type": "apikey", "key": "X-Api-Key", "value": "{{API_TOKEN}}"}, "X-Api-Key", "tok", ""),
        (
            {"type": "apikey", "key": "Authorization", "value": "Key {{API_TOKEN}}", "placement": "header"},
            "Authorization",
            "Key tok",
            "",
        ),
        (
            {"type": "apikey", "key": "api_key", "value": "{{env.API_TOKEN}}", "placement": "query"},
            None,
            None,
            "api_key=tok",
        ),
        ({"type": "basic", "username": "u", "password": "{{env.API_TOKEN}}"}, "Authorization", "Basic dTp0b2s=", ""),
    ],
)
def test_outbound_auth(auth: dict[str, str], header: str | None, value: str | None, query: str) -> None:
    request = request_for(capability(auth=auth), {"id": "1"})
    if header:
        assert dict(request.headers)[header] == value
    else:
        assert "Authorization" not in dict(request.headers)
    assert urlsplit(request.url).query == query


def test_digest_auth_is_left_to_the_transport() -> None:
    request = request_for(
        capability(auth={"type": "digest", "username": "u", "password": "{{API_TOKEN}}"}), {"id": "1"}
    )
    assert request.digest_auth == ("u", "tok")
    assert "Authorization" not in dict(request.headers)


def test_missing_credential_names_the_variable_not_an_empty_header() -> None:
    with pytest.raises(CredentialError) as err:
        request_for(capability(), {"id": "1"}, env={})
    assert err.value.key == "API_TOKEN"
    assert "API_TOKEN" in str(err.value)
