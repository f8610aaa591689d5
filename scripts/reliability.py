"""Regenerate RELIABILITY.md: run tests/reliability, collect what each test tried, write the table.

python scripts/reliability.py          # the CI-sized suite (~30 s)
python scripts/reliability.py --big    # also the bigger load run (50 clients x 40 requests)
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="include the 2,000-request load run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rows.json"
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability"],
            cwd=ROOT,
            env={**__import__("os").environ, "NAFTIKO_RELIABILITY_REPORT": str(report)},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "no output"
        rows = json.loads(report.read_text()) if report.exists() else []
    big = ""
    if args.big:
        sys.path.insert(0, str(ROOT))
        from tests.support.load import main as load_main

        buffer = io.StringIO()
        with redirect_stdout(buffer):
            load_main(["--clients", "50", "--requests", "40"])
        big = buffer.getvalue().strip()
    lines = [
        "# Reliability",
        "",
        "What was tried against naftiko-lambda, how many cases, and what came out. Regenerate with",
        "`python scripts/reliability.py --big` (the tests alone: `pytest tests/reliability`, run by CI).",
        "",
        f"Last run: pytest `{tail}` in {seconds:.0f} s.",
        "",
        "| area | what was tried | cases | outcome |",
        "| --- | --- | ---: | --- |",
    ]
    for row in rows:
        what = str(row["what"]).replace("|", "/")
        lines.append(f"| {row['area']} | {what} | {row['cases']} | {row['outcome']} |")
    if big:
        lines += [
            "",
            "## Bigger load run",
            "",
            "`python bench/load.py --clients 50 --requests 40`:",
            "",
            "```text",
            big,
            "```",
        ]
    (ROOT / "RELIABILITY.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote RELIABILITY.md ({len(rows)} rows); pytest: {tail}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
