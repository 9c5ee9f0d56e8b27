"""Domain shift between regions, and three ways to reduce what it costs a model.

Measuring the shift:

* :func:`mmd2` is the unbiased squared maximum mean discrepancy (Gretton et al. 2012) with a
  Gaussian kernel, and :func:`mmd_test` its permutation test;
* :func:`shift_table` compares two samples feature by feature (standardised mean difference and
  the Kolmogorov-Smirnov distance).

Reducing it (the fourth mitigation of chapter 6, per-window normalisation, lives in
:class:`lslib.data.dataset.LandslideDataset`; metadata dropout in
:class:`lslib.models.predictor.PredictorConfig`):

* :func:`adapt_batchnorm`, test-time BatchNorm adaptation (AdaBN, Li et al. 2016): the running
  means and variances are re-estimated on unlabelled target-region inputs; no weight changes;
* :class:`DomainAdversarialPredictor`, domain-adversarial training (DANN, Ganin et al. 2016): a
  domain classifier on the predictor's hidden features, trained through a gradient-reversal
  layer, so the features stop telling source windows from (unlabelled) target windows;
  :class:`DomainPairs` feeds it one source and one target window per sample.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> same = mmd2(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), bandwidth=1.0)
>>> moved = mmd2(rng.normal(size=(200, 2)), rng.normal(2.0, 1.0, size=(200, 2)), bandwidth=1.0)
>>> abs(same) < 0.02 < moved
True
"""

from __future__ import annotations

import copy
import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from lslib import metrics

__all__ = ["mmd2", "median_bandwidth", "mmd_test", "shift_table", "adapt_batchnorm", "GradientReversal",
           "DomainAdversarialPredictor", "DomainPairs", "TARGET_PREFIX", "feature_sample"]

TARGET_PREFIX = "target_"


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def median_bandwidth(x: np.ndarray, y: np.ndarray, max_points: int = 1000, seed: int = 0) -> float:
    """The median heuristic: the median Euclidean distance between points of the pooled sample."""
    pooled = np.concatenate([np.asarray(x, float), np.asarray(y, float)])
    if len(pooled) > max_points:
        pooled = pooled[np.random.default_rng(seed).choice(len(pooled), max_points, replace=False)]
    distances = np.sqrt(_squared_distances(pooled, pooled))[np.triu_indices(len(pooled), k=1)]
    positive = distances[distances > 0]
    return float(np.median(positive)) if len(positive) else 1.0


def mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased squared maximum mean discrepancy between samples ``x (n, d)`` and ``y (m, d)`` with
    the Gaussian kernel ``exp(-|a - b|^2 / (2 bandwidth^2))``.

    Zero in expectation when both samples come from one distribution (so it can be slightly
    negative); for ``N(0, s^2 I)`` against ``N(mu, s^2 I)`` in ``d`` dimensions it tends to
    ``2 (b^2 / (b^2 + 2 s^2))^(d/2) (1 - exp(-|mu|^2 / (2 (b^2 + 2 s^2))))`` with ``b`` the bandwidth.

    Parameters
    ----------
    x, y : arrays (n, d) and (m, d)
        The samples, in the same feature space; n, m >= 2.
    bandwidth : float, optional
        Kernel width, in feature units; by default :func:`median_bandwidth`.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) and (m, d) with the same d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"each sample needs at least 2 points, got {len(x)} and {len(y)}")
    width = median_bandwidth(x, y) if bandwidth is None else float(bandwidth)
    if width <= 0:
        raise ValueError(f"bandwidth must be > 0, got {width}")
    scale = 2.0 * width ** 2
    kxx, kyy = np.exp(-_squared_distances(x, x) / scale), np.exp(-_squared_distances(y, y) / scale)
    kxy = np.exp(-_squared_distances(x, y) / scale)
    n, m = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2.0 * kxy.mean())


def mmd_test(x: np.ndarray, y: np.ndarray, n_perm: int = 200, seed: int = 0, max_points: int = 400
             ) -> dict[str, float]:
    """Squared MMD (median-heuristic bandwidth) and its permutation p-value.

    Each sample is first subsampled to at most ``max_points`` points (the kernel matrices grow as
    the square). Returns ``mmd2``, ``p_value`` (share of label permutations with an MMD at least as
    large, counting the observed one) and ``bandwidth``.
    """
    rng = np.random.default_rng(seed)
    x, y = (np.asarray(v, float) for v in (x, y))
    x = x[rng.choice(len(x), max_points, replace=False)] if len(x) > max_points else x
    y = y[rng.choice(len(y), max_points, replace=False)] if len(y) > max_points else y
    width = median_bandwidth(x, y, seed=seed)
    observed = mmd2(x, y, width)
    pooled = np.concatenate([x, y])
    exceed = 0
    for _ in range(n_perm):
        order = rng.permutation(len(pooled))
        exceed += mmd2(pooled[order[: len(x)]], pooled[order[len(x):]], width) >= observed
    return {"mmd2": observed, "p_value": (exceed + 1) / (n_perm + 1), "bandwidth": width}


def shift_table(source: dict[str, np.ndarray], target: dict[str, np.ndarray], units: dict[str, str] | None = None
                ) -> pd.DataFrame:
    """Feature-by-feature shift between two samples: the means, the standardised mean difference
    (target minus source, in pooled standard deviations) and the Kolmogorov-Smirnov distance (0: the
    same distribution, 1: no overlap). Rows sorted by KS distance, largest first."""
    rows = {}
    for name in source:
        a, b = np.asarray(source[name], float), np.asarray(target[name], float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        pooled = math.sqrt((a.var() + b.var()) / 2.0) or 1.0
        rows[name] = {"unit": (units or {}).get(name, ""), "source mean": a.mean(), "target mean": b.mean(),
                      "SMD": (b.mean() - a.mean()) / pooled, "KS": metrics.ks_distance(a, b)}
    return pd.DataFrame(rows).T.sort_values("KS", ascending=False)


@torch.no_grad()
def adapt_batchnorm(model: nn.Module, dataset: Dataset, batch_size: int = 128) -> nn.Module:
    """A copy of ``model`` whose BatchNorm running means and variances are re-estimated on the
    inputs of ``dataset`` (unlabelled: labels are never read); every weight and bias is unchanged.

    The statistics are a plain average over the batches (``momentum=None``); dropout stays off.

    Raises
    ------
    ValueError
        ``model`` has no BatchNorm layer.
    """
    adapted = copy.deepcopy(model).eval()
    norms = [m for m in adapted.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        raise ValueError(f"{type(model).__name__} has no BatchNorm layer to adapt (build it with norm='batch')")
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the batches
        norm.train()
    device = next(adapted.parameters()).device
    for batch in DataLoader(dataset, batch_size=batch_size):
        adapted({k: v.to(device) for k, v in batch.items() if k not in ("label", "cause", "mask")})
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return adapted.eval()


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: float) -> Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.weight * grad, None


class GradientReversal(nn.Module):
    """Identity forward; multiplies the gradient by ``-weight`` backward (Ganin et al. 2016)."""

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, x: Tensor) -> Tensor:
        return _Reverse.apply(x, self.weight)


class DomainPairs(Dataset):
    """Each labelled source window paired with an unlabelled target window (for DANN).

    In each pass over the source (an epoch, counted by the calls), sample ``i`` is source window
    ``i`` plus target window ``order[i % n_target]`` of a permutation drawn afresh from ``seed`` and the
    epoch, so every target window is used. The target window gets the source dataset's transforms
    (the same synthetic clouds), so augmentation cannot tell the domains apart; its keys are
    prefixed with ``target_`` and its ``label``, ``cause`` and ``mask`` are dropped, so no target label
    can reach the loss. Deterministic when loaded in one process (``num_workers=0``).
    """

    def __init__(self, source: Dataset, target: Dataset, seed: int = 0) -> None:
        if len(target) == 0:
            raise ValueError("the target dataset is empty")
        self.source, self.target, self.seed = source, target, seed
        self.augment = getattr(source, "transforms", None)
        self.calls = 0

    def __len__(self) -> int:
        return len(self.source)

    def order(self, epoch: int) -> np.ndarray:
        """The target permutation of an epoch."""
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.target))

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        epoch, self.calls = self.calls // len(self), self.calls + 1
        order = self.order(epoch)
        sample = dict(self.source[index])
        target = self.target[int(order[index % len(order)])]
        target = self.augment(target) if self.augment is not None else target
        sample.update({TARGET_PREFIX + k: v for k, v in target.items() if k not in ("label", "cause", "mask")})
        return sample


class DomainAdversarialPredictor(nn.Module):
    """A predictor trained with a domain classifier behind a gradient-reversal layer (DANN).

    The classifier reads the predictor's ``hidden`` features and learns to tell source windows
    (0) from target windows (1); the reversed gradient pushes the features to make that impossible.
    The reversal weight ramps from 0 to ``weight`` as ``2 / (1 + exp(-10 p)) - 1`` over
    ``ramp_steps`` optimisation steps (p the progress), as in Ganin et al. (2016).

    Batches without ``target_`` keys (validation) get the predictor's own loss only. Predict with
    :attr:`predictor`.
    """

    loss_names = ("loss", "landslide", "cause", "domain", "domain_accuracy")

    def __init__(self, predictor: nn.Module, weight: float = 0.5, ramp_steps: int = 100) -> None:
        super().__init__()
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.predictor = predictor
        self.config = predictor.config
        width = predictor.config.width
        self.reverse = GradientReversal(0.0)
        self.domain_head = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, 1))
        self.weight, self.ramp_steps = float(weight), max(1, int(ramp_steps))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return self.predictor(batch)

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Task losses on the source windows plus the domain loss; source and target windows go
        through the predictor in **one** forward pass, so BatchNorm normalises them together (as at
        test time, one set of statistics) and its running statistics are updated once per step."""
        source = {k: v for k, v in batch.items() if not k.startswith(TARGET_PREFIX)}
        target = {k[len(TARGET_PREFIX):]: v for k, v in batch.items() if k.startswith(TARGET_PREFIX)}
        if not target:
            return self.predictor.training_step(source)
        shared = [k for k in target if k in source]
        n = len(source["label"])
        out = self.predictor({k: torch.cat([source[k], target[k]]) for k in shared})
        source_out = {k: v[:n] for k, v in out.items()}
        losses = self.predictor.losses(source_out, source)
        if self.training:
            self.reverse.weight = self.ramp(float(self.steps))
            self.steps += 1
        hidden = out["hidden"]
        domain = torch.cat([torch.zeros(n), torch.ones(len(hidden) - n)]).to(hidden)
        logits = self.domain_head(self.reverse(hidden)).squeeze(-1)
        domain_loss = nn.functional.binary_cross_entropy_with_logits(logits, domain)
        accuracy = ((logits > 0).float() == domain).float().mean().detach()
        return {**losses, "loss": losses["loss"] + domain_loss, "domain": domain_loss, "domain_accuracy": accuracy}

    def ramp(self, step: float) -> float:
        """The reversal weight after ``step`` optimisation steps: ``weight (2 / (1 + exp(-10 p)) - 1)``."""
        progress = min(1.0, step / self.ramp_steps)
        return self.weight * (2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0)

    def config_dict(self) -> dict:
        return {**self.predictor.config_dict(), "dann_weight": self.weight, "dann_ramp_steps": self.ramp_steps}


def feature_sample(features: np.ndarray, groups: Sequence[int] | np.ndarray, per_group: int = 1, seed: int = 0
                   ) -> np.ndarray:
    """At most ``per_group`` rows of ``features`` per group (e.g. per site), so a sample of windows
    is not dominated by the many windows of a few sites; rows chosen with ``seed``."""
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    keep = [rng.permutation(np.nonzero(groups == g)[0])[:per_group] for g in np.unique(groups)]
    return features[np.sort(np.concatenate(keep))]
