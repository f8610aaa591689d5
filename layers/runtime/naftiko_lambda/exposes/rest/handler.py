"""The REST Lambda entry: Mangum around build_app, for the capability CAPABILITY_FILE names
(REST_API_KEY_REQUIRED=true: the API Gateway in front demands an x-api-key, see settings.py).

Built once per cold start (module import), reused by every warm invocation.
"""

from __future__ import annotations

from ...capability.load import load_capability
from ...deadline import DEFAULT_CEILING_S
from ...settings import Settings
from ..lambda_entry import LambdaHandler, lazy_handler, report_unserved, wrap
from .app import build_app


def create_handler(settings: Settings, *, ceiling_s: float = DEFAULT_CEILING_S) -> LambdaHandler:
    """A Mangum handler for the capability file named by the settings (CAPABILITY_FILE)."""
    capability = load_capability(settings.capability_file())
    report_unserved((capability,))
    app = build_app(capability, settings.runtime(), api_key_required=settings.rest_api_key_required)
    return wrap(app, tracing=settings.tracing, ceiling_s=ceiling_s)


handler = lazy_handler(create_handler)
"""The Lambda entry: built on the first invocation, reused while the instance is warm."""
