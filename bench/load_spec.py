"""Cold load of capabilities/m3ter.yaml into a ready-to-serve model, in fresh processes.

Prints medians (ms) and ratios to ``yaml.safe_load`` of the same file measured in the same run.
Target (issue 2): the whole load under 30 ms, compile cache in place (as deployed).

    python bench/load_spec.py [--runs 9]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stats import fresh_interleaved, median

SPEC = Path(__file__).resolve().parents[1] / "capabilities" / "m3ter.yaml"

BASELINE = """
import json, time
t0 = time.perf_counter()
import yaml
data = open({path!r}, "rb").read()
t1 = time.perf_counter()
yaml.safe_load(data)
t2 = time.perf_counter()
print(json.dumps({{"total": (t2 - t0) * 1e3, "call": (t2 - t1) * 1e3}}))
"""

OURS = """
import json, time
t0 = time.perf_counter()
from naftiko_lambda.capability.load import load_capability
t1 = time.perf_counter()
load_capability({path!r})
t2 = time.perf_counter()
print(json.dumps({{"total": (t2 - t0) * 1e3, "call": (t2 - t1) * 1e3}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uncached = Path(tmp) / "plain" / SPEC.name
        compiled = Path(tmp) / "compiled" / SPEC.name
        for target in (uncached, compiled):
            target.parent.mkdir()
            shutil.copy(SPEC, target)
        from naftiko_lambda.capability.load import compile_capabilities

        compile_capabilities([compiled])
        rows = fresh_interleaved(
            {
                "yaml.safe_load (baseline)": BASELINE.format(path=str(SPEC)),
                "load_capability, compile cache": OURS.format(path=str(compiled)),
                "load_capability, no cache": OURS.format(path=str(uncached)),
            },
            args.runs,
        )
    floor = median(rows["yaml.safe_load (baseline)"], "call")
    print(f"m3ter.yaml ({SPEC.stat().st_size} bytes), {args.runs} fresh processes each, medians")
    print(f"{'':34} {'call ms':>9} {'import+call ms':>15} {'ratio':>7}")
    for name, results in rows.items():
        call = median(results, "call")
        print(f"{name:34} {call:9.1f} {median(results, 'total'):15.1f} {call / floor:6.2f}x")


if __name__ == "__main__":
    main()
