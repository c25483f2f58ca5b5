"""benchmarks/request_overhead.py's settings: the local ones, with its urlconf (the product's
URLs plus two baseline views)."""

from config.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench_overhead_urls"
