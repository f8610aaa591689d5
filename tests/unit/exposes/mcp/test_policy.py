"""policy.py: the deployment's hard deny and read-only callers (issue 21)."""

from __future__ import annotations

from naftiko_lambda.exposes.mcp.policy import ToolPolicy


def test_globs_over_capability_and_tool_names() -> None:
    policy = ToolPolicy.from_settings("m3ter*__*, suger-metering__list-*", "*__delete-*", False)
    assert policy.allows("m3ter-billjob", "list-billjobs", read_only=True)
    assert not policy.allows("m3ter-billjob", "delete-billjob", read_only=False)  # excluded wins
    assert policy.allows("suger-metering", "list-meters", read_only=True)
    assert not policy.allows("suger-metering", "create-meter", read_only=False)  # not included
    assert not policy.allows("other", "list-things", read_only=True)


def test_tags_match_without_case() -> None:
    policy = ToolPolicy.from_settings("tag:billing", "tag:Deprecated*", False)
    assert policy.allows("m3ter", "x", read_only=False, tags=("M3ter", "Billing"))
    assert not policy.allows("m3ter", "x", read_only=False, tags=("billing", "deprecated-2026"))
    assert not policy.allows("m3ter", "x", read_only=False, tags=())


def test_read_only_deployments_and_callers() -> None:
    everything = ToolPolicy.from_settings(None, None, False)
    assert everything.open and everything.allows("a", "write", read_only=False)
    reader = everything.for_caller(read_only=True)
    assert not reader.allows("a", "write", read_only=False) and reader.allows("a", "read", read_only=True)
    assert everything.for_caller(read_only=False) is everything
    assert not ToolPolicy.from_settings("", " , ", True).allows("a", "write", read_only=False)
