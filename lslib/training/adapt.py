"""Domain adaptation during and after training: test-time BatchNorm adaptation (AdaBN, Li et al.
2016) and :class:`DomainPairs`, which feeds domain-adversarial training one source and one target
window per sample.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from lslib.models.dann import TARGET_PREFIX

__all__ = ["adapt_batchnorm", "DomainPairs"]


@torch.no_grad()
def adapt_batchnorm(model: nn.Module, dataset: Dataset | Iterable[dict], batch_size: int = 128) -> nn.Module:
    """A copy of ``model`` whose BatchNorm running means and variances are re-estimated on the
    inputs of ``dataset`` (unlabelled: labels are never read); every weight and bias is unchanged.

    ``dataset`` is a Dataset of samples (batched here, ``batch_size`` at a time) or an iterable of ready
    batches, e.g. :class:`lslib.data.batches.SiteBatches`.

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
    batches = DataLoader(dataset, batch_size=batch_size) if isinstance(dataset, Dataset) else dataset
    for batch in batches:
        adapted({k: v.to(device) for k, v in batch.items() if k not in ("label", "cause", "mask")})
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return adapted.eval()


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
