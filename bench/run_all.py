"""Run every benchmark and print their tables: ``make bench`` (``--quick`` for a short look).

Each script also runs on its own; this runs them one after the other with the
sizes the issues name (or small ones with ``--quick``) and stops at the first
that fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = [
    ["synthetic_speed.py"],
    ["scale.py"],
    ["engine_quality.py"],
    ["robustness.py"],
    ["compare_partitioners.py"],
    ["map_pages.py"],
    ["sheets.py"],
    ["fuzz_long.py"],
]
QUICK = [
    ["synthetic_speed.py", "--sizes", "10000"],
    ["scale.py", "--sizes", "10000,61310"],
    ["engine_quality.py", "--buildings", "10000", "--townships", "8", "--small-areas", "560",
     "--census-areas", "75"],
    ["robustness.py", "--quick"],
    ["compare_partitioners.py", "--quick"],
    ["fuzz_long.py", "--rounds", "1", "--examples", "5"],
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    args = parser.parse_args()
    for script in QUICK if args.quick else FULL:
        print(f"\n## {' '.join(script)}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script[0]), *script[1:]])
        print(f"({time.perf_counter() - start:.0f} s)", flush=True)
        if code:
            print(f"{script[0]} failed with exit code {code}", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
