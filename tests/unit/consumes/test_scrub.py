"""consumes/scrub.py: our secrets out of what an upstream answers, in every spelling."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from naftiko_lambda.consumes.request import UpstreamRequest
from naftiko_lambda.consumes.response import UpstreamResponse
from naftiko_lambda.consumes.scrub import MASK, scrub, scrub_value, secrets_of

SECRET = "tok/en+5ecret=0123456789abcdef"


def test_the_request_authorization_is_a_secret_with_and_without_its_scheme() -> None:
    request = UpstreamRequest("GET", "https://x", (("Authorization", f"Bearer {SECRET}"),))
    assert set(secrets_of(request)) == {f"Bearer {SECRET}", SECRET}


@pytest.mark.parametrize(
    "spelled",
    [SECRET, quote(SECRET, safe=""), quote(SECRET), base64.b64encode(SECRET.encode()).decode()],
)
def test_bytes_are_scrubbed_in_each_form(spelled: str) -> None:
    response = UpstreamResponse(401, {"x-echo": spelled}, f'{{"echo": "{spelled}"}}'.encode())
    clean = scrub(response, [SECRET])
    assert spelled.encode() not in clean.body and spelled not in clean.headers["x-echo"]


@pytest.mark.parametrize(
    "spelled",
    [
        "".join(f"&#x{ord(c):x};" for c in SECRET),
        SECRET.replace("/", "%2f").replace("+", "%2b").replace("=", "%3d"),
        "".join(f"\\u{ord(c):04x}" for c in SECRET),
    ],
)
def test_decoded_strings_are_scrubbed_however_spelled(spelled: str) -> None:
    clean = scrub_value({"a": [f"you sent {spelled}"], spelled: 1}, [SECRET])
    assert spelled not in str(clean) and SECRET not in str(clean) and MASK in clean["a"][0]


def test_text_that_holds_no_secret_is_left_alone() -> None:
    value = {"a": "50% off & more \\n", "b": [1, None, True]}
    assert scrub_value(value, [SECRET]) == value


def test_short_values_are_not_masked() -> None:
    assert scrub_value("a b c", ["a"]) == "a b c"
