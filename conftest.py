"""Doctest namespace for ``pytest --doctest-modules lslib``: standard imports, a seed, a temporary folder."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace, tmp_path, monkeypatch):
    if isinstance(request.node, pytest.DoctestItem):
        doctest_namespace.update(np=np, pd=pd)
        np.random.seed(0)  # noqa: NPY002 - doctests may use the legacy global generator
        monkeypatch.chdir(tmp_path)
