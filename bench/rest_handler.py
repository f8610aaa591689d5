"""REST Lambda handler: cold start and warm overhead, as ratios to baselines from the same run.

Cold: a fresh process imports the handler and answers its first request for capabilities/m3ter.yaml
(compile cache in place, as deployed), against a floor: a fresh process importing fastapi + mangum +
Powertools Logger and answering one request from a one-route FastAPI app. Target <= 0.8x: the
REST function no longer imports FastAPI (the floor still does; it is the usual way to build one).
Warm: added latency per request over a direct `requests` call to the same loopback upstream.
Target: median <= 1 ms.

    python bench/rest_handler.py [--runs 9] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from _stats import fresh_interleaved, median  # noqa: E402

FLOOR = """
import json, time
t0 = time.perf_counter()
from fastapi import FastAPI
from mangum import Mangum
from aws_lambda_powertools import Logger
logger = Logger(service="floor")
app = FastAPI()

@app.get("/ping")
def ping():
    return {{"ok": True}}

handler = Mangum(app, lifespan="off")
event = json.loads(open({event!r}).read())
event["path"] = "/ping"; event["httpMethod"] = "GET"; event["body"] = None; event["requestContext"]["httpMethod"] = "GET"
response = handler(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""

OURS = """
import json, os, time
t0 = time.perf_counter()
from naftiko_lambda.exposes.rest.handler import handler
event = json.loads(open({event!r}).read())
response = handler(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({{"total": (time.perf_counter() - t0) * 1e3}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    import requests
    from naftiko_lambda.capability.load import compile_capabilities

    from tests.support.upstream import Reply, UpstreamServer

    spec = ROOT / "capabilities" / "m3ter.yaml"
    compile_capabilities([spec])
    event = ROOT / "events" / "m3ter-get.apigw-v1.json"
    with UpstreamServer() as upstream:
        upstream.reply(Reply(200, {"id": "bill-1", "lines": [1, 2, 3]}))
        os.environ.update(
            CAPABILITY_FILE=str(spec),
            M3TER_TOKEN="bench-token",
            UPSTREAM_BASE_URI_M3TER=upstream.url,
            POWERTOOLS_LOG_LEVEL="WARNING",
        )
        cold = fresh_interleaved(
            {"floor": FLOOR.format(event=str(event)), "ours": OURS.format(event=str(event))}, args.runs
        )
        cold_floor, cold_ours = median(cold["floor"], "total"), median(cold["ours"], "total")

        from naftiko_lambda.exposes.rest.handler import handler

        sample = json.loads(event.read_text())
        url = upstream.url + "/organizations/5f2e6b8a-3c1d-4e7f-9a0b-1c2d3e4f5a6b/bills/latest/acc-1"
        session = requests.Session()
        headers = {"Authorization": "Bearer bench-token"}
        handler(sample, None)
        _ = session.get(url, headers=headers).content
        direct, through = [], []
        for _ in range(args.requests):  # interleaved, so drift hits both sides alike
            t = time.perf_counter()
            _ = session.get(url, headers=headers).content
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            handler(sample, None)
            through.append(time.perf_counter() - t)
    d, h = statistics.median(direct) * 1e3, statistics.median(through) * 1e3
    print(f"REST cold start, m3ter.yaml, {args.runs} fresh processes, medians")
    print(f"  floor (fastapi+mangum+Logger, one route): {cold_floor:7.1f} ms")
    print(
        f"  naftiko REST handler, first request     : {cold_ours:7.1f} ms   ratio {cold_ours / cold_floor:.2f}x (target <= 0.80x)"
    )
    print(f"REST warm, {args.requests} requests, medians")
    print(f"  direct requests call to the upstream     : {d:7.3f} ms")
    print(f"  through the handler (event -> response)  : {h:7.3f} ms")
    print(f"  added per request                        : {h - d:7.3f} ms (target <= 1 ms)")


if __name__ == "__main__":
    main()
