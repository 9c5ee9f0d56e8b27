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


def test_publish_records_and_glues_under_one_name(metrics_file, monkeypatch):
    import myst_nb

    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.append((name, value, display)))
    assert report.publish("auroc", np.float64(0.4615), "0.462") == 0.4615
    report.publish("n_sites", 48)
    report.publish("shown", 1.5, display=True)
    assert report.recorded() == {"auroc": 0.4615, "n_sites": 48, "shown": 1.5}
    assert glued == [("auroc", "0.462", False), ("n_sites", 48, False), ("shown", 1.5, True)]


def test_publish_glues_nothing_when_the_value_cannot_be_recorded(metrics_file, monkeypatch):
    import myst_nb

    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda *args, **kwargs: glued.append(args))
    with pytest.raises(ValueError, match="must look like a Python identifier"):
        report.publish("two words", 1, "1")
    assert glued == [] and not metrics_file.exists()


def test_the_report_module_loads_without_myst_nb():
    import subprocess
    import sys

    code = "import sys, lslib.book.report; print('myst_nb' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_finding_round_trips_through_the_run_report(metrics_file):
    findings = [
        report.Finding("Beats chance?", "Yes.", np.float32(0.75), (np.float64(0.6), 0.9), "simulated", "AUROC"),
        report.Finding("Rain?", "Mostly.", None, None, "real"),
    ]
    report.record("summary", [f.as_json() for f in findings])
    stored = report.recorded()["summary"]
    assert stored[0] == {
        "question": "Beats chance?",
        "answer": "Yes.",
        "key_number": 0.75,
        "interval": [0.6, 0.9],
        "provenance": "simulated",
        "metric": "AUROC",
    }
    assert [report.Finding.from_json(entry) for entry in stored] == findings
    assert findings[0].key_text() == "AUROC 0.75 [0.6, 0.9]" and findings[1].key_text() == "n/a"


def test_a_finding_is_frozen_and_refuses_an_unknown_provenance():
    finding = report.Finding("Q?", "A.", 1.0, None, "real")
    with pytest.raises(AttributeError):
        finding.answer = "B."  # type: ignore[misc]
    with pytest.raises(ValueError, match="provenance must be one of"):
        report.Finding("Q?", "A.", 1.0, None, "measured")


def test_a_finding_with_a_missing_interval_end_reads_back_without_interval():
    entry = {"question": "Q?", "answer": "A.", "key_number": None, "interval": [None, 0.3], "provenance": "real"}
    finding = report.Finding.from_json(entry)
    assert finding.interval is None and finding.metric == "" and finding.key_text() == "n/a"


def test_findings_table_shows_every_answer_in_full():
    long_answer = "Yes: " + "a very long sentence " * 10
    table = report.findings_table([report.Finding("Q?", long_answer, 0.5, (0.4, 0.6), "real", "share")])
    assert table.data.loc["Q?", "key number"] == "share 0.5 [0.4, 0.6]"
    assert long_answer in table.to_html()


def test_value_of_reads_missing_and_null_metrics_as_nan():
    metrics = {"ci": [0.1, None], "recall": {"mining": 0.5}, "n": 3}
    assert report.value_of(metrics, "n") == 3.0 and report.value_of(metrics, "recall", "mining") == 0.5
    assert all(
        math.isnan(report.value_of(metrics, *key)) for key in (("ci", 1), ("ci", 5), ("absent",), ("recall", "quake"))
    )
