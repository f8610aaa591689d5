"""Issue 13 item 6: under SnapStart the handler is built at init (into the snapshot) and what a
restored copy must not share is dropped after each restore, as Lambda's runtime runs the hooks.

A fresh interpreter imports the REST entry with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start,
answers a request (the HTTP pool, the minted state), runs the after-restore hooks exactly as the
runtime does (snapshot_restore_py's registry), and answers again on fresh connections.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ..conftest import CAPABILITIES, EVENTS, ROOT
from ..support.upstream import Reply, UpstreamServer

SCRIPT = """
import json, sys
from naftiko_lambda.capability import load as load_module
loads = []
real = load_module.load_capability
load_module.load_capability = lambda path: loads.append(path) or real(path)
from naftiko_lambda.consumes import transport
from naftiko_lambda.exposes.rest import handler as entry
built_at_init = len(loads)
event = json.loads(open(sys.argv[1]).read())
first = entry.handler(event, None)["statusCode"]
pool_before = transport._POOL is not None
import snapshot_restore_py
for hook, args, kwargs in snapshot_restore_py.get_after_restore():
    hook(*args, **kwargs)
pool_after_restore = transport._POOL is not None
second = entry.handler(event, None)["statusCode"]
print(json.dumps([built_at_init, first, pool_before, pool_after_restore, second, len(loads)]))
"""


def _run(upstream: UpstreamServer, initialization: str) -> list:
    env = {
        **os.environ,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
        "CAPABILITY_FILE": str(CAPABILITIES / "m3ter-billjob.yaml"),
        "M3TER_API_KEY": "k",
        "UPSTREAM_BASE_URI_M3TER_BILLJOB": upstream.url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    event = EVENTS / "m3ter-billjob-get.apigw-v1.json"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(event)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_snapstart_builds_at_init_and_drops_connections_after_restore(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, {"data": []}))
    built_at_init, first, pool_before, pool_after_restore, second, loads = _run(upstream, "snap-start")
    assert built_at_init == 1  # the spec is in the snapshot
    assert (first, second) == (200, 200)
    assert pool_before and not pool_after_restore  # no connection survives a restore
    assert loads == 1  # and the spec is not loaded again
    assert len(upstream.received) == 2


def test_on_demand_still_builds_on_the_first_request(upstream: UpstreamServer) -> None:
    upstream.reply(Reply(200, {"data": []}))
    built_at_init, first, *_ = _run(upstream, "on-demand")
    assert (built_at_init, first) == (0, 200)
