"""Host names judged as addresses, not as text (pure).

``127.0.0.1.rebind.evil.example`` starts with ``127.`` and is a public name that any DNS server
may answer: a check by prefix lets a page that rebinds its DNS talk to a server on loopback. A
host is loopback only when it *is* ``localhost`` or a loopback IP literal (``127.0.0.0/8``,
``::1``, with or without brackets); a name is never resolved here.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``127.x.y.z``, ``::1`` / ``[::1]`` exactly (any case); False otherwise."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
