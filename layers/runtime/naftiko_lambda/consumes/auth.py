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


def apply_auth(request: UpstreamRequest, auth: Auth | None, values: Values) -> UpstreamRequest:
    """Add the credentials to the request. Raises CredentialError when a bound value is missing."""
    if auth is None:
        return request
    headers = [(k, v) for k, v in request.headers if k.lower() != "authorization"]
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
        if auth.placement == "query":
            sep = "&" if "?" in request.url else "?"
            return replace(request, url=request.url + sep + urlencode([(name, value)], quote_via=quote))
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, value))
    return replace(request, headers=tuple(headers))
