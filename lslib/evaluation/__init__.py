"""Scores, intervals and tests of the study: numpy and scipy only, no torch.

The submodules each hold one kind of measurement; the package re-exports their public names, so
that ``from lslib import evaluation`` and ``evaluation.auroc(...)`` reads like the maths:

* :mod:`~lslib.evaluation.classification`: ranking and classification scores, and the sigmoid;
* :mod:`~lslib.evaluation.calibration`: probability calibration;
* :mod:`~lslib.evaluation.ensembles`: seed ensembles under the seed-and-site bootstrap, and Holm's adjustment;
* :mod:`~lslib.evaluation.resampling`: the one resampling engine: bootstrap intervals (plain, by cluster,
  stratified) and paired comparisons;
* :mod:`~lslib.evaluation.images`: image quality and diversity;
* :mod:`~lslib.evaluation.shift`: distribution shift between samples (MMD, per-feature tables);
* :mod:`~lslib.evaluation.trends`: trend tests on time series;
* :mod:`~lslib.evaluation.tables`: intervals as ``value [low, high]`` text.
"""

from lslib.evaluation.calibration import *  # noqa: F403
from lslib.evaluation.classification import *  # noqa: F403
from lslib.evaluation.ensembles import *  # noqa: F403
from lslib.evaluation.images import *  # noqa: F403
from lslib.evaluation.resampling import *  # noqa: F403
from lslib.evaluation.shift import *  # noqa: F403
from lslib.evaluation.tables import *  # noqa: F403
from lslib.evaluation.trends import *  # noqa: F403
