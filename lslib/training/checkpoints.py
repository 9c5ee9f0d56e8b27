"""Model checkpoints that are safe to open: weights as a plain state dict, everything else as JSON.

A checkpoint ``best.pt`` is two files: ``best.pt`` holds only the model's ``state_dict`` (tensors), read
back with ``torch.load(..., weights_only=True)``, which refuses to unpickle arbitrary objects from a run
directory someone else prepared; ``best.pt.json`` holds the model's config and any extra fields
(epoch, training history) as plain JSON.

Examples
--------
>>> model = torch.nn.Linear(2, 1)
>>> path = save_checkpoint(model, "model.pt", epoch=3)
>>> load_checkpoint(torch.nn.Linear(2, 1), path)["epoch"]
3
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["save_checkpoint", "load_checkpoint", "metadata_path"]


def metadata_path(path: Path | str) -> Path:
    """The JSON file beside a checkpoint: its config and extra fields."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def save_checkpoint(model: nn.Module, path: Path | str, **extra: Any) -> Path:
    """Save the weights, and the model's config (``model.config_dict()`` when it has one) with ``extra``.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose ``state_dict`` is saved.
    path : path-like
        The weights file; the JSON metadata goes to :func:`metadata_path` of it.
    **extra
        JSON-serialisable fields (epoch, history, ...).

    Returns
    -------
    pathlib.Path
        ``path``. Both files are written through temporary files and renamed, weights last.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = model.config_dict() if hasattr(model, "config_dict") else {}
    meta, temporary_meta = metadata_path(path), metadata_path(path).with_suffix(".json.tmp")
    temporary_meta.write_text(json.dumps({"config": config, **extra}, indent=1, default=float), encoding="utf-8")
    os.replace(temporary_meta, meta)
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(model.state_dict(), temporary)
    os.replace(temporary, path)
    return path


def load_checkpoint(model: nn.Module, path: Path | str, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``.

    Returns
    -------
    dict
        ``state_dict``, ``config`` and the extra fields that were saved.
    """
    path = Path(path)
    state = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(state)
    meta = metadata_path(path)
    fields = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {"config": {}}
    return {"state_dict": state, **fields}
