"""Mangum configured the same way for both Lambda entries."""

from __future__ import annotations

from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES


def wrap(app: Any) -> Mangum:
    # lifespan off: our apps have no startup work, and Mangum would run the lifespan on every
    # invocation. problem+json is text: without it Mangum would base64-encode our error bodies.
    return Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"])
