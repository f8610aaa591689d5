from __future__ import annotations

from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.exposes.rest.routes import Router, route_path

from ....conftest import CAPABILITIES


def test_route_path_normalises_both_dialects() -> None:
    assert route_path("/a/{{id}}/b/{x}/") == "/a/{id}/b/{x}"
    assert route_path("things") == "/things"


def test_literal_segment_beats_placeholder() -> None:
    router = Router(load_capability(CAPABILITIES / "m3ter.yaml"))
    route, params = router.match("/organizations/o1/bills/latest/acc-9") or (None, None)
    assert route is not None and route.path == "/organizations/{orgId}/bills/latest/{accountId}"
    assert params == {"orgId": "o1", "accountId": "acc-9"}


def test_sibling_placeholders_share_a_path_by_method() -> None:
    """m3ter has /bills/{id} beside /bills/{billId}/...: each method finds its own operation."""
    router = Router(load_capability(CAPABILITIES / "m3ter.yaml"))
    route, params = router.match("/organizations/o1/bills/b1/debitlineitems/d1") or (None, None)
    assert route is not None and set(route.methods) == {"GET", "PUT", "DELETE"}
    assert params == {"orgId": "o1", "billId": "b1", "id": "d1"}


def test_no_match_and_empty_segment() -> None:
    router = Router(load_capability(CAPABILITIES / "m3ter-billjob.yaml"))
    assert router.match("/v1/organizations//billjobs") is None
    assert router.match("/v1/nothing") is None
    assert router.match("/v1/organizations/o/billjobs") is not None
