"""Deep ensembles of the forecaster: train one member, predict windows, combine members into a
mean probability with its spread, and calibrate by temperature scaling on validation windows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from lslib import evaluation
from lslib.data.augment import SyntheticClouds
from lslib.data.dataset import LandslideDataset
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training.loop import History, TrainConfig, fit

__all__ = ["train_member", "predict", "combine", "calibrate"]


def train_member(
    datasets: dict[str, LandslideDataset],
    model_config: PredictorConfig,
    train_config: TrainConfig,
    batch_size: int = 64,
    *,
    build: Callable[[], nn.Module] | None = None,
    train_data: Dataset | None = None,
) -> tuple[nn.Module, History, float]:
    """Train one model (weights of its best validation epoch); returns it, its history and seconds.

    The training clouds are reset and torch is seeded from ``train_config.seed`` before the model is
    built, so the same seed gives the same model. ``build`` makes the model to train (default: a
    :class:`SpatioTemporalPredictor` of ``model_config``), and ``train_data`` replaces the training
    windows (for example a dataset that pairs each source window with an unlabelled target one).
    """
    started = time.perf_counter()
    augment = datasets["train"].transforms
    if isinstance(augment, SyntheticClouds) and not augment.per_sample:
        augment.reset(train_config.seed + 1)  # the same seed sees the same training clouds
    torch.manual_seed(train_config.seed)
    model = build() if build is not None else SpatioTemporalPredictor(model_config)
    generator = torch.Generator().manual_seed(train_config.seed)
    training = train_data if train_data is not None else datasets["train"]
    loaders = {
        "train": DataLoader(training, batch_size=batch_size, shuffle=True, generator=generator),
        "val": DataLoader(datasets["val"], batch_size=256),
    }
    history = fit(model, loaders, replace(train_config, restore_best=True))
    return model.eval(), history, time.perf_counter() - started


@torch.no_grad()
def predict(model: SpatioTemporalPredictor, dataset, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Per window of ``dataset`` (a window-mode :class:`LandslideDataset` or a list of its samples):
    ``logit``, ``cause_probs`` (7), ``attention``, ``hidden`` (the fused features before the heads),
    ``cloud``, ``valid``, ``label``, ``cause``, ``site`` and ``lead``."""
    device = next(model.parameters()).device
    model.eval()
    parts: dict[str, list[np.ndarray]] = {}
    for batch in DataLoader(dataset, batch_size=batch_size):
        out = model({k: v.to(device) for k, v in batch.items()})
        values = {
            "logit": out["logit"],
            "cause_probs": out["cause_probs"],
            "attention": out["attention"],
            "hidden": out["hidden"],
            **{k: batch[k] for k in ("cloud", "valid", "label", "cause", "site", "lead")},
        }
        for key, value in values.items():
            parts.setdefault(key, []).append(value.cpu().numpy())
    return {key: np.concatenate(value) for key, value in parts.items()}


def combine(members: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """A deep ensemble: mean probability (and its logit), the members' spread (standard deviation of
    their probabilities, the confidence the chapter reports), mean cause distribution and attention."""
    probabilities = np.stack([evaluation.sigmoid(m["logit"]) for m in members])
    mean = probabilities.mean(axis=0).clip(1e-6, 1 - 1e-6)
    out = dict(members[0])
    out.update(
        logit=np.log(mean / (1 - mean)),
        spread=probabilities.std(axis=0),
        cause_probs=np.mean([m["cause_probs"] for m in members], axis=0),
        attention=np.mean([m["attention"] for m in members], axis=0),
    )
    return out


def calibrate(val: dict[str, np.ndarray], *others: dict[str, np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """Temperature scaling fitted on the validation windows; returns T and the calibrated
    probabilities of ``val`` and of each of ``others``."""
    temperature = evaluation.fit_temperature(val["logit"], val["label"])
    return temperature, [evaluation.sigmoid(p["logit"] / temperature) for p in (val, *others)]
