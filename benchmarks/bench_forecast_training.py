"""Benchmark: chapter 4's trainer on site batches against the trainer it replaced, side by side, in one run.

Both train the same predictor for the same epochs on the same fixed-horizon windows of one simulated stack:

* **baseline** (the trainer before chapter 4 v2): :func:`lslib.training.ensemble.train_member`, a
  ``DataLoader`` over :class:`lslib.data.dataset.LandslideDataset` samples, one window at a time
  (``__getitem__`` copies the window's frames, the CNN encodes every frame of every window);
* **site batches** (:func:`lslib.training.forecast.train_seeds` over :class:`lslib.data.batches.SiteBatches`):
  pre-batched tensors of a few sites, each frame encoded once for all the windows it belongs to;
* and the site batches with the chapter's narrower radar branch (``radar_width = width / 2``);
* ``--seeds`` seeds trained one after another on site batches against the same seeds trained at once
  (:func:`lslib.training.forecast.train_seeds` with ``vectorised=True``, ``torch.func``), with the same order of sites;
* and the same seeds fanned out over ``--processes`` worker processes (``workers=``; each with the machine's
  threads shared out, its start-up and the pickling of the datasets included in its time).

Reported: seconds per epoch of each (median of ``--repeats``, alternating which runs first) and the ratios.
Both validate on the same windows every epoch, as the chapter does.

Usage: ``.venv/bin/python benchmarks/bench_forecast_training.py [--sites 200] [--epochs 2] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from lslib.data.dataset import LandslideDataset
from lslib.data.sim import simulate
from lslib.models.predictor import PredictorConfig
from lslib.training.ensemble import train_member
from lslib.training.forecast import train_seeds
from lslib.training.loop import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(2)
    stack = simulate(n_sites=args.sites, n_times=24, size=32, seed=0, n_workers=2).load()
    common = {"horizon_days": 32.0, "max_frames": 8, "max_sar_frames": 8, "fractions": (0.7, 0.3, 0.0), "seed": 0}
    datasets = {split: LandslideDataset(stack, split=split, **common) for split in ("train", "val")}
    train = TrainConfig(epochs=args.epochs, lr=2e-3, progress=False)
    full, narrow = PredictorConfig(size=32, width=32), PredictorConfig(size=32, width=32, radar_width=16)

    def seeds(**how):  # the same seeds on the same order of sites, trained one way or another
        return train_seeds(
            datasets, narrow, train, list(range(args.seeds)), sites_per_batch=8, clouds=0.0, order_seed=0, **how
        )

    runs = {
        "baseline": lambda: train_member(datasets, full, train, batch_size=64),
        "site batches": lambda: train_seeds(datasets, full, train, [0], sites_per_batch=8, clouds=0.0),
        "site batches, radar width 16": lambda: train_seeds(
            datasets, narrow, train, [0], sites_per_batch=8, clouds=0.0
        ),
        "seeds one by one": lambda: seeds(),
        "seeds vectorised": lambda: seeds(vectorised=True),
        "seeds fanned out": lambda: seeds(workers=args.processes),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(args.repeats):
        order = list(runs) if repeat % 2 == 0 else list(reversed(runs))
        for name in order:
            started = time.perf_counter()
            runs[name]()
            seconds[name].append((time.perf_counter() - started) / args.epochs)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    result = {
        "train_windows": len(datasets["train"]),
        "train_sites": len(datasets["train"].sites),
        "seconds_per_epoch": {name: round(value, 3) for name, value in median.items()},
        "speed_up_over_baseline": {
            name: round(median["baseline"] / median[name], 2)
            for name in ("site batches", "site batches, radar width 16")
        },
        "seeds": args.seeds,
        "vectorised_speed_up_over_one_by_one": round(median["seeds one by one"] / median["seeds vectorised"], 2),
        "processes": args.processes,
        "fanned_out_speed_up_over_one_by_one": round(median["seeds one by one"] / median["seeds fanned out"], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
