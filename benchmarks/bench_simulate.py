"""Throughput and scaling of LandslideSim, measured side by side with baselines.

1. Sites per second at quick-profile sizes (16 Landsat frames, 32 x 32 px), one process.
2. Scaling in ``n_sites`` (should be linear: the time per site stays flat).
3. Two dask workers against one, in the same run, beside the same ratio for a pure-NumPy
   CPU-bound loop: the machine's own parallel ceiling (2 vCPUs are not always 2 full cores).

Usage: ``.venv/bin/python benchmarks/bench_simulate.py [--sites 200]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

import numpy as np

from lslib.data.sim import simulate


def _burn(_: int) -> float:
    start = time.perf_counter()
    values = np.random.default_rng(0).random(1024)
    for _ in range(150_000):
        values = np.sqrt(values * values + 1.0) - 0.5
    return time.perf_counter() - start


def cpu_ceiling() -> float:
    """Speed-up of 2 processes over 1 on a CPU-bound NumPy loop (the best any code can do here)."""
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    _burn(0), _burn(1)
    serial = time.perf_counter() - start
    with context.Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_burn, [0, 1])
        parallel = time.perf_counter() - start
    return serial / parallel


def timed(**kwargs) -> float:
    start = time.perf_counter()
    simulate(n_times=16, size=32, seed=0, **kwargs)
    return time.perf_counter() - start


def main(sites: int = 200) -> dict[str, float]:
    timed(n_sites=3)  # warm imports and caches
    scaling = {n: timed(n_sites=n) for n in (sites // 4, sites // 2, sites)}
    per_site = {n: t / n for n, t in scaling.items()}
    one, two = timed(n_sites=sites, n_workers=1), timed(n_sites=sites, n_workers=2)
    ceiling = cpu_ceiling()
    result = {
        "sites_per_second_1_worker": sites / one,
        "seconds_per_site": {str(n): round(v, 4) for n, v in per_site.items()},
        "scaling_ratio_largest_to_smallest_per_site": per_site[sites] / per_site[sites // 4],
        "speedup_2_workers": one / two,
        "cpu_ceiling_2_processes": ceiling,
        "parallel_efficiency_vs_ceiling": (one / two) / ceiling,
        "quick_profile_estimate_s_2_workers": two / sites * 600,
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    main(parser.parse_args().sites)
