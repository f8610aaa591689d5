"""Bounded load on `naftiko-lambda serve` (sandbox upstream): REST and MCP mixed, p50/p99.

python bench/load.py [--clients 50] [--requests 40]   # 2,000 requests; CI runs 50 x 6
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.load import main

if __name__ == "__main__":
    main()
