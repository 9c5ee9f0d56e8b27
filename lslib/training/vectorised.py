"""Several seeds of one forecaster trained at once, as one vectorised model (``torch.func``).

:func:`train_together` (called by :func:`lslib.training.forecast.train_seeds` with ``vectorised=True``)
stacks the parameters of one model per seed (:func:`torch.func.stack_module_state`) and maps the forward and
backward pass over them with :func:`torch.func.vmap`, so every optimiser step trains all seeds in one call.
Each seed keeps its own initialisation, its own Adam state, its own gradient clipping and its own best
validation epoch; the seeds share the order of the training sites and the training clouds (one site batch
feeds them all). Trained with the same order and without dropout, the result equals seeds trained one by one,
to float rounding (``tests/training/test_vectorised.py``).

On a GPU the stacked step fills the device that one small model leaves idle; on a few CPU cores the work is
the same number of convolutions, and torch has no batching rule for its fused LSTM, so it runs that part seed
by seed (``benchmarks/bench_forecast_training.py`` measures both).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Sequence

import torch
from torch import nn
from torch.func import functional_call, grad_and_value, stack_module_state, vmap

from lslib.training.loop import History, TrainConfig

__all__ = ["train_together"]


def _clip_per_seed(grads: Sequence[torch.Tensor], max_norm: float) -> None:
    """Clip each seed's gradient (the slices along the leading axis) to total norm ``max_norm``, as
    :func:`torch.nn.utils.clip_grad_norm_` does for one model."""
    norms = torch.sqrt(sum((g.reshape(len(g), -1) ** 2).sum(dim=1) for g in grads))
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


class _Stacked:
    """The seeds' models as one stacked set of parameters and buffers, with their loss as a function of them."""

    def __init__(self, models: Sequence[nn.Module]) -> None:
        self.models = models
        self.params, self.buffers = stack_module_state(list(models))
        self.template = copy.deepcopy(models[0]).to("meta")
        self.gradients = vmap(grad_and_value(self.loss), in_dims=(0, 0, None), randomness="different")

    def loss(self, params: dict, buffers: dict, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        out = functional_call(self.template, (params, buffers), (batch,))
        return self.template.losses(out, batch)["loss"]

    def seed(self, k: int) -> tuple[dict, dict]:
        """Seed ``k``'s parameters and buffers."""
        return {n: v[k] for n, v in self.params.items()}, {n: v[k] for n, v in self.buffers.items()}


def _train_epoch(
    stacked: _Stacked, optimiser: torch.optim.Optimizer, batches: Iterable, config: TrainConfig, device: str
) -> torch.Tensor:
    """One pass over the training batches; each seed's mean loss per window."""
    stacked.template.train()
    total, count = torch.zeros(len(stacked.models)), 0
    for batch in batches:
        batch = {key: value.to(device) for key, value in batch.items()}
        grads, loss = stacked.gradients({n: v.detach() for n, v in stacked.params.items()}, stacked.buffers, batch)
        for name, value in stacked.params.items():
            value.grad = grads[name]
        if config.grad_clip:
            _clip_per_seed([p.grad for p in stacked.params.values()], config.grad_clip)
        optimiser.step()
        total += loss.detach().cpu() * len(batch["label"])
        count += len(batch["label"])
    return total / max(count, 1)


@torch.no_grad()
def _validation_loss(stacked: _Stacked, batches: Iterable, device: str) -> torch.Tensor:
    """Each seed's mean validation loss per window, seed by seed (torch's LSTM has no batching rule outside grad)."""
    stacked.template.eval()
    total, count = torch.zeros(len(stacked.models)), 0
    for batch in batches:
        batch = {key: value.to(device) for key, value in batch.items()}
        losses = [stacked.loss(*stacked.seed(k), batch) for k in range(len(stacked.models))]
        total += torch.stack(losses).cpu() * len(batch["label"])
        count += len(batch["label"])
    return total / max(count, 1)


def train_together(
    models: Sequence[nn.Module], train: Iterable, val: Iterable, config: TrainConfig, device: str
) -> list[History]:
    """Train ``models`` (one per seed, same architecture, on ``device``) at once on the shared batches.

    Parameters
    ----------
    models : sequence of torch.nn.Module
        The seeds' models, initialised; each ends with the weights of its own best validation epoch.
    train, val : iterable of batches
        Site batches (:class:`lslib.data.batches.SiteBatches`): one pass per epoch.
    config : TrainConfig
        Epochs, learning rate, weight decay and gradient clipping (per seed).
    device : str
        Where the models are.

    Returns
    -------
    list of History
        Per seed, its training and validation loss per epoch and its best epoch.
    """
    stacked = _Stacked(models)
    optimiser = torch.optim.Adam(stacked.params.values(), lr=config.lr, weight_decay=config.weight_decay)
    histories = [History() for _ in models]
    best = torch.full((len(models),), float("inf"))
    best_params = {name: value.detach().clone() for name, value in stacked.params.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*batching rule.*")  # the fused LSTM runs seed by seed
        for epoch in range(config.epochs):
            train_loss = _train_epoch(stacked, optimiser, train, config, device)
            val_loss = _validation_loss(stacked, val, device)
            for k, history in enumerate(histories):
                history.train.setdefault("loss", []).append(float(train_loss[k]))
                history.val.setdefault("loss", []).append(float(val_loss[k]))
            for k in torch.nonzero(val_loss < best).flatten().tolist():
                best[k] = val_loss[k]
                histories[k].best_epoch = epoch
                for name, value in stacked.params.items():
                    best_params[name][k] = value.detach()[k]
    for k, model in enumerate(models):
        buffers = {n: v[k] for n, v in stacked.buffers.items()}
        model.load_state_dict({**{n: v[k] for n, v in best_params.items()}, **buffers})
    return histories
