"""What `serve` refuses before a request reaches a handler (pure).

`serve` holds the developer's real keys in live mode, so it must not be a proxy for anyone else:

- a Host that is not a loopback name (``localhost``, a loopback IP literal: addresses.py) is
  refused (421), unless ``--allow-remote``: a DNS-rebinding page or a machine on the network
  cannot talk to it;
- an Origin that is not a loopback page (or, with ``--allow-remote``, this server itself) is
  refused (403), and so is a browser's cross-site request that sends no Origin (an ``<img>``):
  a web page cannot call it from the developer's browser;
- a write (POST, PUT, PATCH, DELETE) whose Content-Type is not JSON is refused (415): an HTML
  form, which a page may submit cross-site without any preflight, can never trigger one.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ..addresses import is_loopback

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _hostname(authority: str) -> str:
    """``[::1]:8000`` -> ``::1``; ``localhost:8000`` -> ``localhost``."""
    return (urlsplit(f"//{authority}").hostname or "").lower()


def refusal(method: str, headers: Mapping[str, str], body: bytes, *, remote: bool) -> tuple[int, str] | None:
    """(status, reason) when the request must be refused, else None. ``headers`` are lower-cased."""
    host = headers.get("host", "")
    if not remote and not is_loopback(_hostname(host)):
        return 421, f"Host {host!r} is not a loopback name: serve listens for this machine only (see --allow-remote)"
    origin = headers.get("origin")
    if origin is None and headers.get("sec-fetch-site") == "cross-site":
        # A page elsewhere, sending what carries no Origin (an <img>, a link): a GET all the same.
        return 403, "requests from pages of other sites are refused: serve holds your keys"
    if origin is not None:
        parts = urlsplit(origin)
        same = remote and parts.netloc.lower() == host.lower()
        if not (same or (parts.scheme in ("http", "https") and is_loopback((parts.hostname or "").lower()))):
            return 403, f"requests from the page at {origin!r} are refused: serve holds your keys"
    if method in WRITES:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json = content_type == "application/json" or content_type.endswith("+json")
        if (content_type and not is_json) or (body.strip() and not is_json):
            return 415, "writes must be sent as application/json (an HTML form cannot trigger one)"
    return None
