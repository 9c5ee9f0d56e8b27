import json
import math

import numpy as np
import pytest

from lslib.book import report


@pytest.fixture
def metrics_file(tmp_path, monkeypatch):
    path = tmp_path / "metrics" / "ch.json"
    monkeypatch.setenv(report.METRICS_ENV, str(path))
    return path


def test_record_converts_numpy_and_keeps_earlier_metrics(metrics_file):
    report.record("auroc", np.float32(0.75))
    report.record("counts", {"a": np.int64(3)})
    report.record("curve", np.array([1.0, 2.5]))
    report.record("auroc", 0.8)  # recording again replaces
    assert json.loads(metrics_file.read_text()) == {"auroc": 0.8, "counts": {"a": 3}, "curve": [1.0, 2.5]}


def test_non_finite_values_become_null(metrics_file):
    report.record("ece", math.nan)
    assert report.recorded() == {"ece": None}


def test_bad_names_and_types_are_refused(metrics_file):
    with pytest.raises(ValueError, match="must look like a Python identifier"):
        report.record("two words", 1)
    with pytest.raises(TypeError, match="'obj' has type object"):
        report.record("obj", object())
    assert not metrics_file.exists()


def test_without_the_pipeline_metrics_go_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(report.METRICS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    report.record("n", 1)
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"n": 1}
