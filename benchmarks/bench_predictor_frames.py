"""Benchmark: the predictor encodes only the valid frames of a window (padding skipped), against
encoding every frame, padding included (the implementation before chapter 6), side by side.

Both run one training step (forward and backward) on the same batches of real forecasting windows
of a simulated stack; the ratio is what skipping the padding buys (or costs: the boolean indexing
and the scatter back are not free). The two must also give the same logits.

Usage: ``.venv/bin/python benchmarks/bench_predictor_frames.py [--sites 60] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader

from lslib.data.dataset import LandslideDataset
from lslib.data.sim import simulate
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor


def encode_every_frame(self, encoder, frames, valid):  # the baseline: padding frames go through the CNN too
    b, t = frames.shape[:2]
    return encoder(frames.flatten(0, 1)).view(b, t, -1)


def seconds_per_step(model: SpatioTemporalPredictor, batches: list[dict], repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        for batch in batches:
            model.zero_grad()
            model.training_step(batch)["loss"].backward()
    return (time.perf_counter() - started) / (repeats * len(batches))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    stack = simulate(n_sites=args.sites, n_times=16, size=32, seed=0, n_workers=2)
    windows = LandslideDataset(stack, split=None, leads=tuple(range(1, 7)), max_frames=8, max_sar_frames=8)
    batches = list(DataLoader(windows, batch_size=64))
    padding = 1.0 - float(torch.cat([b["valid"] for b in batches]).float().mean())
    model = SpatioTemporalPredictor(PredictorConfig(size=32, width=32)).eval()
    with torch.no_grad():
        skipped = model(batches[0])["logit"]
    original = SpatioTemporalPredictor._frames
    try:
        SpatioTemporalPredictor._frames = encode_every_frame
        with torch.no_grad():
            every = model(batches[0])["logit"]
        model.train()
        baseline = seconds_per_step(model, batches, args.repeats)
    finally:
        SpatioTemporalPredictor._frames = original
    measured = seconds_per_step(model, batches, args.repeats)
    print(f"{len(windows)} windows, {padding:.0%} of the frame slots are padding")
    print(f"largest logit difference between the two: {float((skipped - every).abs().max()):.2e}")
    print(
        f"valid frames only: {1000 * measured:.1f} ms per step; every frame: {1000 * baseline:.1f} ms per step; "
        f"ratio {baseline / measured:.2f}x"
    )


if __name__ == "__main__":
    main()
