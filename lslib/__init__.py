"""lslib: the helper library of the landslide study.

The chapters of the book (``notebooks/``) tell the story; everything worth testing lives here, one
package per layer (lower layers never import higher ones; ``tests/test_layers.py`` checks it):

* :mod:`lslib.causes` and :mod:`lslib.errors`: the one enumeration of causes, the error types;
* :mod:`lslib.data`: the one data layout, real-data registry, catalogue, STAC, simulator, datasets;
* :mod:`lslib.models`: the networks and the classical models;
* :mod:`lslib.evaluation`: scores, calibration, bootstrap intervals, shift and trend tests (no torch);
* :mod:`lslib.training`: the training loop, checkpoints, ensembles and domain adaptation;
* :mod:`lslib.analysis`: how hard the task is (baselines, physics oracle) and reforestation trials;
* :mod:`lslib.chapters`: one workflow module per notebook, with the notebook's stem;
* :mod:`lslib.figures`: one figure module per chapter, plus the REAL/SIMULATED provenance stamp;
* :mod:`lslib.book`: the papermill pipeline, parameters, profiles, run report and book build.
"""

__version__ = "0.1.0"

__all__ = []
