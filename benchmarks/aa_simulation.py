"""A/A simulation: how often does peeking produce a false winner?

Runs A/A tests (true accuracy 0.8 in both arms, 50/50 split, up to 5,000 units per arm, a look
after every 100 units per arm) and prints the share ever called significant by the always-valid
sequential interval the product uses and by a naive z-test read at the same looks.

    .venv/bin/python benchmarks/aa_simulation.py [--tests 1000] [--seed 2024]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models_registry.stats import simulate_aa_peeking  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.8)
    parser.add_argument("--max-per-arm", type=int, default=5000)
    parser.add_argument("--peek-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    start = time.perf_counter()
    result = simulate_aa_peeking(
        n_tests=args.tests,
        rate=args.rate,
        max_per_arm=args.max_per_arm,
        peek_every=args.peek_every,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - start
    print(f"A/A tests: {result.n_tests}, looks per test: {result.looks}, seed: {args.seed}")
    print(f"false-positive rate, sequential interval: {result.sequential_false_positive_rate:.3f}")
    print(f"false-positive rate, naive z-test peeked: {result.naive_false_positive_rate:.3f}")
    print(f"run time: {elapsed:.3f} s")


if __name__ == "__main__":
    main()
