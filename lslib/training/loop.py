"""The training loop of the study: one ``fit`` for every model, which never looks inside them.

A model takes part by implementing ``training_step(batch) -> dict[str, Tensor]``: the key ``loss`` is
optimised, every other scalar is logged (pix2pix's ``loss_names`` convention). ``fit`` seeds
everything, moves batches to the device (CUDA when present), shows a progress bar, evaluates on
the validation loader, writes ``config.json`` once per run, and checkpoints the last and best epochs.

Examples
--------
>>> seed_everything(0); a = torch.rand(2)
>>> seed_everything(0); bool(torch.equal(a, torch.rand(2)))
True
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lslib.training.checkpoints import save_checkpoint

__all__ = [
    "TrainConfig",
    "History",
    "seed_everything",
    "resolve_device",
    "evaluate",
    "fit",
    "fit_gan",
    "device_name",
    "flushed_denormals",
]


@dataclass
class TrainConfig:
    """Settings of :func:`fit`; the run directory gets them as ``config.json``."""

    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"  # "auto": CUDA when available, else CPU
    grad_clip: float | None = 5.0
    checkpoint_dir: str | None = None
    progress: bool = True
    restore_best: bool = False  # end with the weights of the epoch with the lowest validation loss
    name: str | None = None  # shown on the progress bar (default: the model's class)
    patience: int | None = None  # stop after this many epochs without a lower validation loss (None: never)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.patience is not None and (isinstance(self.patience, bool) or self.patience < 1):
            raise ValueError(f"patience must be None or an integer >= 1, got {self.patience!r}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


@dataclass
class History:
    """Per-epoch means of every logged loss, for training and validation."""

    train: dict[str, list[float]] = field(default_factory=dict)
    val: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None

    def last(self, split: str = "val") -> dict[str, float]:
        values = getattr(self, split)
        return {name: series[-1] for name, series in values.items()}


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA), and make CUDA deterministic.

    On a GPU the same seed then gives the same numbers too: cuDNN picks deterministic kernels and no
    benchmark autotuning, cuBLAS gets a fixed workspace (``CUBLAS_WORKSPACE_CONFIG``), and torch warns
    about any operation that has no deterministic implementation instead of letting it vary silently.
    Nothing changes on a CPU, where these settings are not applied.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the legacy global generator that third-party code still uses
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)


@contextlib.contextmanager
def flushed_denormals() -> Iterator[bool]:
    """Run the block with denormal (subnormal) floats flushed to zero on the CPU, then restore torch's default.

    A model whose gradients or Adam moments drift below float32's smallest normal number (about 1.2e-38),
    such as a softmax over every pixel of a site, can run several times slower on x86 CPUs, where each
    subnormal operation takes a slow path; flushing them costs nothing measurable in accuracy (chapter 5's
    pit model: identical metrics, half the time). Yields whether the CPU supports flushing.

    Examples
    --------
    >>> tiny = torch.tensor([1e-40])
    >>> with flushed_denormals() as supported:
    ...     flushed = (tiny * 1.0).item()
    >>> (flushed == 0.0) if supported else True, (tiny * 1.0).item() > 0
    (True, True)
    """
    supported = torch.set_flush_denormal(True)
    try:
        yield supported
    finally:
        torch.set_flush_denormal(False)  # torch's default (it has no getter to read the state before)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when it is available, otherwise the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _scalars(losses: dict[str, torch.Tensor]) -> dict[str, float]:
    return {k: float(v.detach()) for k, v in losses.items() if isinstance(v, torch.Tensor) and v.dim() == 0}


class _Means:
    """Batch-size-weighted means of the scalar losses logged over one pass."""

    def __init__(self, skip: tuple[str, ...] = ()) -> None:
        self.totals: dict[str, float] = {}
        self.count = 0
        self.skip = skip

    def add(self, losses: dict[str, torch.Tensor], batch: dict[str, Any]) -> None:
        size = len(next(iter(batch.values())))
        for name, value in _scalars(losses).items():
            if name not in self.skip:
                self.totals[name] = self.totals.get(name, 0.0) + value * size
        self.count += size

    def means(self) -> dict[str, float]:
        return {name: value / max(self.count, 1) for name, value in self.totals.items()}


def _step(optimiser: torch.optim.Optimizer, loss: torch.Tensor, parameters, grad_clip: float | None) -> None:
    """One optimiser step on ``loss``, clipping the gradient norm of ``parameters`` if asked."""
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimiser.step()


def _epochs(model: nn.Module, config: TrainConfig):
    """The epoch loop with a progress bar named after the run (or the model's class)."""
    from tqdm import tqdm

    return tqdm(
        range(config.epochs), desc=f"training {config.name or type(model).__name__}", disable=not config.progress
    )


def _log_epoch(history: History, train: _Means, model: nn.Module, loaders: dict, device: torch.device) -> None:
    """Append the epoch's training means and, when there is a validation loader, its losses."""
    for name, value in train.means().items():
        history.train.setdefault(name, []).append(value)
    if "val" in loaders:
        for name, value in evaluate(model, loaders["val"], device).items():
            history.val.setdefault(name, []).append(value)


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable[dict[str, torch.Tensor]], device: torch.device | str | None = None
) -> dict[str, float]:
    """Mean of every scalar loss of ``model.training_step`` over ``loader``, in evaluation mode, with the
    batches moved to ``device`` (default: the device of the model's parameters)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    means = _Means()
    for batch in loader:
        batch = _to(batch, device)
        means.add(model.training_step(batch), batch)
    return means.means()


def fit(model: nn.Module, loaders: dict[str, Iterable[dict[str, torch.Tensor]]], config: TrainConfig) -> History:
    """Train ``model`` with Adam on ``loaders["train"]``; validate on ``loaders["val"]`` if given.

    Returns
    -------
    History
        Per-epoch means of every scalar the model logs; ``best_epoch`` by validation loss.
    """
    seed_everything(config.seed)
    device = resolve_device(config.device)
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history = History()
    directory = Path(config.checkpoint_dir) if config.checkpoint_dir else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        model_config = model.config_dict() if hasattr(model, "config_dict") else {}
        (directory / "config.json").write_text(
            json.dumps({"model": model_config, "train": asdict(config), "model_class": type(model).__name__}, indent=2)
        )
    best = float("inf")
    best_state: dict[str, torch.Tensor] | None = None
    epochs = _epochs(model, config)
    for epoch in epochs:
        model.train()
        train = _Means()
        for batch in loaders["train"]:
            batch = _to(batch, device)
            losses = model.training_step(batch)
            _step(optimiser, losses["loss"], model.parameters(), config.grad_clip)
            train.add(losses, batch)
        _log_epoch(history, train, model, loaders, device)
        current = history.val.get("loss", history.train["loss"])[-1]
        epochs.set_postfix(loss=f"{history.train['loss'][-1]:.3g}", val=f"{current:.3g}")
        if directory is not None:
            save_checkpoint(model, directory / "last.pt", epoch=epoch, history=asdict(history))
        if current < best:
            best, history.best_epoch = current, epoch
            if config.restore_best:
                best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
            if directory is not None:
                save_checkpoint(model, directory / "best.pt", epoch=epoch)
        if config.patience is not None and epoch - history.best_epoch >= config.patience:
            epochs.close()  # early stop: the kept epoch is the same as the whole run's up to here
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def fit_gan(
    model: nn.Module,
    loaders: dict[str, Iterable[dict[str, torch.Tensor]]],
    config: TrainConfig,
    betas: tuple[float, float] = (0.5, 0.999),
) -> History:
    """Train an adversarial model: per batch, one Adam step of the generator side on
    ``model.generator_step(batch)["loss"]``, then one of the discriminator on
    ``model.discriminator_step(batch)["loss"]`` (skipped when that returns nothing). Every named loss
    is logged per epoch; ``loaders["val"]`` (optional) is scored with ``model.training_step``.

    The model provides ``generator_parameters()`` and, when it has one, ``discriminator``.
    """
    seed_everything(config.seed)
    device = resolve_device(config.device)
    model.to(device)
    optimiser_g = torch.optim.Adam(model.generator_parameters(), lr=config.lr, betas=betas)
    discriminator = getattr(model, "discriminator", None)
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr, betas=betas) if discriminator else None
    history = History()
    epochs = _epochs(model, config)
    for _ in epochs:
        model.train()
        train = _Means(skip=("loss",))
        for batch in loaders["train"]:
            batch = _to(batch, device)
            losses = model.generator_step(batch)
            _step(optimiser_g, losses["loss"], model.generator_parameters(), config.grad_clip)
            if optimiser_d is not None:
                d_losses = model.discriminator_step(batch)
                _step(optimiser_d, d_losses["loss"], discriminator.parameters(), None)
                losses.update({k: v for k, v in d_losses.items() if k != "loss"})
            train.add(losses, batch)
        _log_epoch(history, train, model, loaders, device)
        epochs.set_postfix(L1=f"{history.train['G_L1'][-1]:.3g}" if "G_L1" in history.train else "")
    return history


def device_name() -> str:
    """Where training runs: ``cuda`` when a GPU is present, else ``cpu``."""
    return str(resolve_device("auto"))
