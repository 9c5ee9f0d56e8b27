"""Models of the study. Models never import data-loading or plotting code.

:func:`build_model` makes a model by name from keyword configuration.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_model", "MODEL_NAMES"]

MODEL_NAMES = ("vae", "predictor")


def build_model(name: str, **config: Any):
    """A model by name: ``vae`` (:class:`lslib.models.vae.ConvVAE`) or ``predictor``
    (:class:`lslib.models.predictor.SpatioTemporalPredictor`).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    if name == "vae":
        from lslib.models.vae import ConvVAE, VAEConfig

        return ConvVAE(VAEConfig(**config))
    if name == "predictor":
        from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor

        return SpatioTemporalPredictor(PredictorConfig(**config))
    raise ValueError(f"Unknown model {name!r}; valid models are {', '.join(MODEL_NAMES)}")
