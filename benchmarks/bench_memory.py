"""Peak resident memory of simulating a stack and of training on it, as the number of sites grows.

Each measurement runs in a fresh Python process, so one peak never inherits another's: the process
simulates ``n`` sites at the quick profile's frame size (24 frames of 32 x 32 px, 2 workers) into a Zarr
store (``lslib.data.sim.simulated_stack``), or opens that store and trains one seed of chapter 4's
forecaster for one epoch on its training sites (``lslib.training.forecast.train_seeds``, fixed-horizon
windows on site batches). The baseline is the smallest run, measured the same way in the same session:
the result is each peak as a multiple of it (goal of the scale-out issue: at most 1.2 at 4,000 sites
against 600, which needs chapters that read their stacks lazily).

Usage: ``.venv/bin/python benchmarks/bench_memory.py [--sites 600 2000 4000]``
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
stack, path, hit, _ = simulated_stack(sys.argv[1], n_sites=int(sys.argv[2]), n_times=24, size=32, seed=0,
                                      n_workers=2)
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


def measure(script: str, folder: Path, n_sites: int) -> dict[str, float]:
    """Run ``script`` in a fresh interpreter and return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(n_sites)],
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
    arguments = parser.parse_args()
    sizes = sorted(arguments.sites)
    results = {}
    for n_sites in sizes:
        with tempfile.TemporaryDirectory() as folder:
            simulated = measure(_SIMULATE, Path(folder), n_sites)
            trained = measure(_TRAIN, Path(folder), n_sites)
        results[n_sites] = {"simulate": simulated, "train": trained}
        print(
            f"{n_sites} sites: simulate {simulated['peak_mb']:.0f} MB ({simulated['seconds']:.0f} s), "
            f"train {trained['peak_mb']:.0f} MB ({trained['seconds']:.0f} s)",
            flush=True,
        )
    base = results[sizes[0]]
    growth = {
        stage: {n: round(results[n][stage]["peak_mb"] / base[stage]["peak_mb"], 2) for n in sizes}
        for stage in ("simulate", "train")
    }
    print(json.dumps({"peaks": results, "growth_against_smallest": growth}, indent=2))


if __name__ == "__main__":
    main()
