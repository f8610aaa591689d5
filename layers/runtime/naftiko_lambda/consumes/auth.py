"""Outbound authentication: a consumes ``authentication`` block -> header, query or digest (pure).

The one place a bound secret becomes text on its way upstream.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import quote, urlencode

from ..capability.model import Auth
from ..errors import CredentialError
from .bind import Scope
from .request import UpstreamRequest


def field_value(auth: Auth, name: str, scope: Scope) -> str:
    template = auth.fields.get(name)
    if template is None:
        raise CredentialError(name, f"the {auth.type} authentication block has no {name!r}")
    text = scope.render(template)
    if not text:
        raise CredentialError(name, f"the {auth.type} authentication {name!r} rendered empty")
    return text


def key_name(auth: Auth, scope: Scope) -> str:
    """The header or query parameter an apikey block names (``X-API-Key`` when it names none)."""
    template = auth.fields.get("key")
    return (scope.render(template) if template is not None else None) or "X-API-Key"


def apply_auth(request: UpstreamRequest, auth: Auth | None, scope: Scope) -> UpstreamRequest:
    """Add the credentials to the request. Raises CredentialError when a bound value is missing."""
    if auth is None:
        return request
    # Credentials are bound variables: an input the caller left out never stands in for one
    # (an optional query input "api_key" must not hide the environment's API_KEY).
    scope = replace(scope, omitted_inputs=frozenset())
    headers = [(k, v) for k, v in request.headers if k.lower() != "authorization"]
    if auth.type == "bearer":
        headers.append(("Authorization", f"Bearer {field_value(auth, 'token', scope)}"))
    elif auth.type == "basic":
        pair = f"{field_value(auth, 'username', scope)}:{field_value(auth, 'password', scope)}"
        headers.append(("Authorization", "Basic " + base64.b64encode(pair.encode()).decode()))
    elif auth.type == "digest":
        return replace(
            request, digest_auth=(field_value(auth, "username", scope), field_value(auth, "password", scope))
        )
    elif auth.type == "apikey":
        name = key_name(auth, scope)
        value = field_value(auth, "value", scope)
        if auth.placement == "query":
            sep = "&" if "?" in request.url else "?"
            return replace(request, url=request.url + sep + urlencode([(name, value)], quote_via=quote))
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, value))
    return replace(request, headers=tuple(headers))
