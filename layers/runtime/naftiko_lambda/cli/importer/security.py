"""``securitySchemes`` + ``security`` -> the consumes block's ``authentication`` and its variables (pure).

One capability authenticates one way, so one scheme is chosen: the first of the document's own
``security`` that can be carried, else the one most operations require. Every secret is a bound
variable named ``<NS>_<WHAT>`` (``SUGER_API_KEY``); an operation that requires only schemes the
capability does not carry is a warning.

| scheme | authentication |
| --- | --- |
| http bearer | ``{type: bearer, token: '{{NS_TOKEN}}'}`` |
| http basic / digest | ``{type: basic|digest, username: '{{NS_USERNAME}}', password: '{{NS_PASSWORD}}'}`` |
| apiKey in header / query | ``{type: apikey, key: <name>, value: '{{NS_API_KEY}}', placement: header|query}`` |
| http ``OAuth`` (RFC 5849, Mastercard) | ``{type: oauth1, consumerKey: '{{NS_CONSUMER_KEY}}', signingKey: '{{NS_SIGNING_KEY}}'}`` |
| http ``VERACODE-HMAC-SHA-256`` | ``{type: hmac, apiId: '{{NS_API_ID}}', apiKey: '{{NS_API_KEY}}'}`` |
| oauth2, openIdConnect | bearer with a bound ``NS_TOKEN``: the runtime does not fetch tokens (warned) |

OpenAPI has no type for a signed request, so only the HTTP authentication scheme names that say
which signature it is are mapped; any other scheme is a warning naming it, never a guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .issues import ImportIssue
from .names import pointer
from .schemas import as_mapping

TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
"""An HTTP header name (RFC 9110 token): never a brace, so never a template."""


@dataclass(frozen=True, slots=True)
class Authentication:
    """The chosen scheme as an ``authentication`` block, and the variables it binds."""

    scheme: str | None = None
    block: Mapping[str, str] | None = None
    variables: tuple[str, ...] = ()
    issues: tuple[ImportIssue, ...] = field(default_factory=tuple)


def authentication(
    root: Mapping[str, Any], requirements: Sequence[tuple[str, Any]], prefix: str
) -> tuple[Authentication, dict[str, str]]:
    """The authentication for operations whose ``security`` (their own, else the document's) is
    given as ``(operation pointer, requirement list)``; also each operation's unmet scheme, by pointer."""
    schemes = as_mapping(as_mapping(root.get("components")).get("securitySchemes"))
    notes: dict[str, ImportIssue] = {}
    carried = {name: _block(name, s, prefix, notes) for name, s in schemes.items() if isinstance(s, Mapping)}
    usable = {name for name, built in carried.items() if built is not None}
    chosen = _choose(root.get("security"), requirements, usable)
    unmet: dict[str, str] = {}
    for where, requirement in requirements:
        names = _alternatives(requirement)
        if names and chosen not in {n for alt in names for n in alt} and not any(not alt for alt in names):
            unmet[where] = ", ".join(sorted({n for alt in names for n in alt}))
    required = {n.strip() for text in unmet.values() for n in text.split(",")}
    # Say why a scheme is not carried only where some operation needs it, and note the chosen one.
    issues = tuple(note for name, note in notes.items() if name == chosen or name in required)
    if chosen is None:
        return Authentication(issues=issues), unmet
    block = carried[chosen]
    assert block is not None
    variables = tuple(v[2:-2] for v in block.values() if v.startswith("{{"))
    return Authentication(chosen, block, variables, issues), unmet


def _block(name: str, scheme: Mapping[str, Any], prefix: str, notes: dict[str, ImportIssue]) -> dict[str, str] | None:
    where = pointer("components", "securitySchemes", name)

    def note(message: str) -> None:
        notes[name] = ImportIssue(where, message)

    kind = str(scheme.get("type", "")).lower()
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http == "bearer":
            return {"type": "bearer", "token": f"{{{{{prefix}_TOKEN}}}}"}
        if http in ("basic", "digest"):
            return {"type": http, "username": f"{{{{{prefix}_USERNAME}}}}", "password": f"{{{{{prefix}_PASSWORD}}}}"}
        if http == "oauth":
            note(
                f"http scheme 'OAuth' is imported as Mastercard OAuth 1.0a (RSA-SHA256): bind {prefix}_CONSUMER_KEY "
                f"and {prefix}_SIGNING_KEY (a PEM private key)"
            )
            return {
                "type": "oauth1",
                "consumerKey": f"{{{{{prefix}_CONSUMER_KEY}}}}",
                "signingKey": f"{{{{{prefix}_SIGNING_KEY}}}}",
            }
        if http == "veracode-hmac-sha-256":
            return {"type": "hmac", "apiId": f"{{{{{prefix}_API_ID}}}}", "apiKey": f"{{{{{prefix}_API_KEY}}}}"}
        note(
            f"http scheme {http!r} is not supported (bearer, basic, digest, OAuth, VERACODE-HMAC-SHA-256): not imported"
        )
        return None
    if kind == "apikey":
        placement = str(scheme.get("in", ""))
        if placement not in ("header", "query"):
            note(f"apiKey in {placement!r} is not supported (header, query): not imported")
            return None
        key = str(scheme.get("name", ""))
        if not TOKEN.fullmatch(key):
            note(f"apiKey name {key!r} is not a header or query parameter name: not imported")
            return None
        return {
            "type": "apikey",
            "key": key,
            "value": f"{{{{{prefix}_API_KEY}}}}",
            "placement": placement,
        }
    if kind in ("oauth2", "openidconnect"):
        source = _token_source(scheme)
        note(
            f"{kind} is imported as a bearer token: bind {prefix}_TOKEN to an access token {source}; "
            "the runtime does not fetch or refresh it"
        )
        return {"type": "bearer", "token": f"{{{{{prefix}_TOKEN}}}}"}
    note(f"security scheme type {kind!r} is not supported: not imported")
    return None


def _token_source(scheme: Mapping[str, Any]) -> str:
    flows = as_mapping(scheme.get("flows"))
    credentials = flows.get("clientCredentials")
    if isinstance(credentials, Mapping) and credentials.get("tokenUrl"):
        return f"from {credentials['tokenUrl']} (client credentials)"
    if scheme.get("openIdConnectUrl"):
        return f"from the issuer at {scheme['openIdConnectUrl']}"
    names = ", ".join(sorted(flows)) or "no flow"
    return f"obtained outside the capability ({names})"


def _alternatives(requirement: Any) -> list[list[str]]:
    """A security requirement list -> its alternatives, each the scheme names it needs together."""
    if not isinstance(requirement, list):
        return []
    return [list(r) for r in requirement if isinstance(r, Mapping)]


def _choose(top: Any, requirements: Sequence[tuple[str, Any]], usable: set[str]) -> str | None:
    for alternative in _alternatives(top):
        for name in alternative:
            if name in usable:
                return name
    counts: Counter[str] = Counter()
    for _, requirement in requirements:
        for name in {n for alt in _alternatives(requirement) for n in alt if n in usable}:
            counts[name] += 1
    if not counts:
        return None
    best = max(counts.values())
    return next(name for name in sorted(counts) if counts[name] == best)
