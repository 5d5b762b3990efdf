"""A long fuzzing run of the whole pipeline: many random counties, every hard invariant.

The same properties as ``tests/test_fuzz_pipeline.py`` (which runs a few examples in
``make test``), run in rounds of ``--examples`` random counties, each round with its
own seed. A failing round is shrunk by Hypothesis to a small county and printed.

    .venv/bin/python bench/fuzz_long.py --rounds 20 --examples 25

Prints a table: round, examples, failures, seconds; then the failures.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from hypothesis import given, seed, settings

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import test_fuzz_pipeline as fuzz  # noqa: E402


def one_round(number: int, examples: int, deterministic_every: int) -> tuple[int, str | None]:
    """Run ``examples`` random counties with seed ``number``; return (examples, failure)."""
    calls = {"n": 0}

    def check(spec):
        calls["n"] += 1
        import tempfile

        with tempfile.TemporaryDirectory(prefix="eapart-fuzz-") as folder:
            out = fuzz.run_county(spec, Path(folder), "a")
            fuzz.check_invariants(spec, out)
            if deterministic_every and calls["n"] % deterministic_every == 0:
                again = fuzz.run_county(spec, Path(folder), "b")
                assert fuzz.digests(again) == fuzz.digests(out), "not deterministic"

    test = settings(fuzz.FUZZ, max_examples=examples, derandomize=False)(
        seed(number)(given(fuzz.county_specs())(check)))
    try:
        test()
    except Exception:  # a falsified property, shrunk by Hypothesis
        return calls["n"], traceback.format_exc(limit=3)
    return calls["n"], None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--examples", type=int, default=20, help="random counties per round")
    parser.add_argument("--deterministic-every", type=int, default=5,
                        help="run every n-th county twice and compare the files (0: never)")
    args = parser.parse_args()
    failures = []
    total_examples = 0
    started = time.perf_counter()
    print(f"{'round':>5} {'examples':>9} {'failures':>9} {'seconds':>8}")
    for number in range(args.rounds):
        t0 = time.perf_counter()
        done, failure = one_round(number, args.examples, args.deterministic_every)
        total_examples += done
        if failure:
            failures.append((number, failure))
        print(f"{number:>5} {done:>9} {int(failure is not None):>9} "
              f"{time.perf_counter() - t0:>8.1f}", flush=True)
    print(f"{'all':>5} {total_examples:>9} {len(failures):>9} "
          f"{time.perf_counter() - started:>8.1f}")
    for number, failure in failures:
        print(f"\n--- round {number} ---\n{failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
