"""Outbound authentication: a consumes ``authentication`` block -> header, query or digest (pure).

The one place a bound secret becomes text on its way upstream. Field values are rendered from
the ``Values`` given (the runner passes a scope in which credentials are bound variables).
"""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import quote, urlencode

from ..capability.model import Auth
from ..errors import CredentialError
from .request import UpstreamRequest
from .signing import Signer
from .values import Values


def field_value(auth: Auth, name: str, values: Values) -> str:
    template = auth.fields.get(name)
    if template is None:
        raise CredentialError(name, f"the {auth.type} authentication block has no {name!r}")
    text = values.render(template)
    if not text:
        raise CredentialError(name, f"the {auth.type} authentication {name!r} rendered empty")
    return text


def key_name(auth: Auth, values: Values) -> str:
    """The header or query parameter an apikey block names (``X-API-Key`` when it names none)."""
    template = auth.fields.get("key")
    return (values.render(template) if template is not None else None) or "X-API-Key"


def bind_of(auth: Auth, name: str) -> str:
    """The bind variable a field reads (``MASTERCARD_SIGNING_KEY``), to name it in errors."""
    template = auth.fields.get(name)
    variables = template.variables if template is not None else ()
    return variables[0].name if variables else name


def apply_auth(request: UpstreamRequest, auth: Auth | None, values: Values) -> UpstreamRequest:
    """Add the credentials to the request. Raises CredentialError when a bound value is missing
    or unusable (a signing key that is not one)."""
    if auth is None:
        return request
    headers = [(k, v) for k, v in request.headers if k.lower() != "authorization"]
    if auth.type in ("oauth1", "hmac"):  # signed per attempt, by the transport (signing/)
        return replace(request, headers=tuple(headers), signer=_signer(auth, values))
    if auth.type == "bearer":
        headers.append(("Authorization", f"Bearer {field_value(auth, 'token', values)}"))
    elif auth.type == "basic":
        pair = f"{field_value(auth, 'username', values)}:{field_value(auth, 'password', values)}"
        headers.append(("Authorization", "Basic " + base64.b64encode(pair.encode()).decode()))
    elif auth.type == "digest":
        return replace(
            request, digest_auth=(field_value(auth, "username", values), field_value(auth, "password", values))
        )
    elif auth.type == "apikey":
        name = key_name(auth, values)
        value = field_value(auth, "value", values)
        if auth.placement == "body" and request.body is not None:
            return _in_body(request, name, value)
        if auth.placement in ("query", "body"):  # a body key on a request with no body: the query
            sep = "&" if "?" in request.url else "?"
            return replace(request, url=request.url + sep + urlencode([(name, value)], quote_via=quote))
        if auth.placement == "cookie":
            cookie = "; ".join([*(v for k, v in headers if k.lower() == "cookie"), f"{name}={value}"])
            headers = [(k, v) for k, v in headers if k.lower() != "cookie"]
            headers.append(("Cookie", cookie))
            return replace(request, headers=tuple(headers))
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, value))
    return replace(request, headers=tuple(headers))


def _in_body(request: UpstreamRequest, name: str, value: str) -> UpstreamRequest:
    """``placement: body``: the key as a field of a JSON object body, or of a form body."""
    content_type = next((v for k, v in request.headers if k.lower() == "content-type"), "").lower()
    body = request.body or b""
    if "json" in content_type:
        import json

        document = json.loads(body) if body.strip() else {}
        if not isinstance(document, dict):
            raise CredentialError(name, "placement body needs a JSON object body to put the key in")
        return replace(request, body=json.dumps({**document, name: value}).encode())
    if "x-www-form-urlencoded" in content_type:
        joined = body + (b"&" if body else b"") + urlencode([(name, value)], quote_via=quote).encode()
        return replace(request, body=joined)
    raise CredentialError(name, "placement body needs a JSON or form body to put the key in")


def _signer(auth: Auth, values: Values) -> Signer:
    if auth.type == "oauth1":
        from .signing.keys import signing_key
        from .signing.oauth1 import oauth1_signer

        password = auth.fields.get("signingKeyPassword")
        key = signing_key(
            field_value(auth, "signingKey", values),
            bind_of(auth, "signingKey"),
            values.render(password) if password is not None else None,
        )
        return oauth1_signer(field_value(auth, "consumerKey", values), key)
    from .signing.veracode import veracode_signer

    return veracode_signer(field_value(auth, "apiId", values), field_value(auth, "apiKey", values))
