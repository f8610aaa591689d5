"""A JWT access token checked with PyJWT (and ``cryptography``): no hand-written crypto here.

The token must be signed with an accepted asymmetric algorithm (keys.ALGORITHMS) by a key of
the issuer's set that fits it; ``iss`` is the issuer; ``exp`` and ``nbf`` hold with LEEWAY_S.
Refusals say what is wrong without repeating what the token said (its header is the caller's
text, and the reason travels in a WWW-Authenticate header).
"""

from __future__ import annotations

from typing import Any

from ...deadline import Deadline
from ...errors import Unauthorized
from .keys import ALGORITHMS, KeySet

LEEWAY_S = 60
"""Clock skew allowed on exp/nbf (seconds)."""


def invalid(message: str) -> Unauthorized:
    return Unauthorized(message, error="invalid_token")


def verify(token: str, issuer: str, keys: KeySet, deadline: Deadline) -> dict[str, Any]:
    """The token's claims. Raises Unauthorized (invalid_token), or CredentialError when the
    issuer's keys cannot be had."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise invalid("the token is not a JWT") from None
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise invalid("the token's algorithm is not accepted")
    key = keys.key_for(header.get("kid"), algorithm, deadline)
    if key is None:
        raise invalid("the token is signed with an unknown key, or one that does not fit its algorithm")
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            issuer=issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iss"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise invalid("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid("the token is not valid yet") from None
    except jwt.InvalidIssuerError:
        raise invalid("the token's issuer is not this server's authorization server") from None
    except jwt.PyJWTError as exc:
        raise invalid(f"the token is invalid ({type(exc).__name__})") from None
    except (ValueError, TypeError):  # a key or claim PyJWT does not expect: the token is not good
        raise invalid("the token is invalid") from None
    return dict(claims)
