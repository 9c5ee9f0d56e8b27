"""Domain adaptation after training: test-time BatchNorm adaptation (AdaBN, Li et al. 2016).

Domain-adversarial training pairs site batches instead (:class:`lslib.data.batches.DomainSiteBatches`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

__all__ = ["adapt_batchnorm"]


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
