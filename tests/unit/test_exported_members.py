"""The public surface is __all__, and every name in it resolves (httpx's test_exported_members)."""

from __future__ import annotations

import naftiko_lambda


def test_all_exports_resolve() -> None:
    for name in naftiko_lambda.__all__:
        assert getattr(naftiko_lambda, name) is not None


def test_public_surface_is_pinned() -> None:
    assert naftiko_lambda.__all__ == sorted(
        [
            "Capability",
            "CredentialError",
            "CredentialSource",
            "ExposedOperation",
            "InvocationError",
            "NaftikoError",
            "Secret",
            "SpecError",
            "UpstreamError",
            "UpstreamInvalidResponse",
            "UpstreamTimeout",
            "UpstreamTooLarge",
            "UpstreamUnreachable",
            "Upstreams",
            "load_capabilities",
            "load_capability",
            "reset_caches",
            "run",
        ]
    )


def test_output_formats_match_decoders() -> None:
    from naftiko_lambda.capability.build import OUTPUT_FORMATS
    from naftiko_lambda.consumes.formats import DECODERS

    assert set(DECODERS) == OUTPUT_FORMATS


def test_lazy_exports_match_all() -> None:
    assert sorted([*naftiko_lambda._EXPORTS, "reset_caches"]) == naftiko_lambda.__all__
