"""Training: the one loop (fit, fit_gan, evaluate), checkpoints, deep ensembles, the chapter-3
VAE encoder and domain adaptation. Uses :mod:`lslib.data`, :mod:`lslib.models` and
:mod:`lslib.evaluation`."""
