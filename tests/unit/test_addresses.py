"""addresses.py: loopback is judged as an address, never by a prefix (issue 19 item 2)."""

from __future__ import annotations

import pytest
from naftiko_lambda.addresses import is_loopback


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.1.rebind.evil.example", False),
        ("127.attacker.example", False),
        ("localhost.evil.example", False),
        ("127.1", False),
        ("0x7f.0.0.1", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_loopback_is_an_address_not_a_prefix(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
