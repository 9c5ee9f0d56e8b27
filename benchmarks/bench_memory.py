"""Peak resident memory of simulating a stack and of training on it, as the number of sites grows.

Each measurement runs in a fresh Python process, so one peak never inherits another's: the process
simulates ``n`` sites at the quick profile's frame size (24 frames of 32 x 32 px, 2 workers) into a Zarr
store (``lslib.data.sim.simulated_stack``), or opens that store and trains one seed of chapter 4's
forecaster for one epoch on its training sites (``lslib.training.forecast.train_seeds``, fixed-horizon
windows on site batches). The baseline is the smallest run, measured the same way in the same session:
the result is each peak as a multiple of it (goal of the scale-out issue: at most 1.2 at 4,000 sites
against 600, which needs chapters that read their stacks lazily). The simulation is measured twice: in
memory, gathered by the driver (``simulated_stack``'s default), and written block by block from the
workers (``block_sites=32``, :func:`lslib.data.sim.simulate_to_store`).

Usage: ``.venv/bin/python benchmarks/bench_memory.py [--sites 600 2000 4000] [--block-sites 32] [--skip-train]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SIMULATE = """
import json, resource, sys, time
from lslib.data.sim import simulated_stack
started = time.perf_counter()
blocks = int(sys.argv[3]) if len(sys.argv) > 3 else None
stack, path, hit, _ = simulated_stack(sys.argv[1], n_sites=int(sys.argv[2]), n_times=24, size=32, seed=0,
                                      n_workers=2, block_sites=blocks)
assert not hit
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started}))
"""

_TRAIN = """
import json, resource, sys, time
from lslib.data.dataset import LandslideDataset
from lslib.data.sim import simulated_stack
from lslib.models.predictor import PredictorConfig
from lslib.training.forecast import train_seeds
from lslib.training.loop import TrainConfig
started = time.perf_counter()
stack, path, hit, _ = simulated_stack(sys.argv[1], n_sites=int(sys.argv[2]), n_times=24, size=32, seed=0,
                                      n_workers=2)
assert hit
windows = {split: LandslideDataset(stack, split=split, horizon_days=32, max_frames=8, max_sar_frames=8)
           for split in ("train", "val")}
train_seeds(windows, PredictorConfig(size=32, width=16), TrainConfig(epochs=1, lr=0.003), seeds=(0,),
            sites_per_batch=16)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started}))
"""


def measure(script: str, folder: Path, n_sites: int, *extra: str) -> dict[str, float]:
    """Run ``script`` in a fresh interpreter and return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(n_sites), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the {n_sites}-site run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[600, 2000, 4000])
    parser.add_argument("--block-sites", type=int, default=32, help="sites per block of the blockwise simulation")
    parser.add_argument("--skip-train", action="store_true", help="measure the simulation only")
    parser.add_argument("--blocks-only", action="store_true", help="measure only the blockwise simulation")
    arguments = parser.parse_args()
    sizes = sorted(arguments.sites)
    stages = ["simulate in blocks"] if arguments.blocks_only else ["simulate", "simulate in blocks"]
    stages += [] if arguments.skip_train or arguments.blocks_only else ["train"]
    results = {}
    for n_sites in sizes:
        results[n_sites] = {}
        with tempfile.TemporaryDirectory() as folder:
            if "simulate" in stages:
                results[n_sites]["simulate"] = measure(_SIMULATE, Path(folder), n_sites)
            if "train" in stages:
                results[n_sites]["train"] = measure(_TRAIN, Path(folder), n_sites)
        with tempfile.TemporaryDirectory() as folder:
            results[n_sites]["simulate in blocks"] = measure(
                _SIMULATE, Path(folder), n_sites, str(arguments.block_sites)
            )
        print(
            f"{n_sites} sites: "
            + ", ".join(f"{stage} {results[n_sites][stage]['peak_mb']:.0f} MB" for stage in stages)
            + " ("
            + ", ".join(f"{results[n_sites][stage]['seconds']:.0f} s" for stage in stages)
            + ")",
            flush=True,
        )
    base = results[sizes[0]]
    growth = {
        stage: {n: round(results[n][stage]["peak_mb"] / base[stage]["peak_mb"], 2) for n in sizes} for stage in stages
    }
    print(json.dumps({"peaks": results, "growth_against_smallest": growth}, indent=2))


if __name__ == "__main__":
    main()
