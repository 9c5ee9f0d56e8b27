"""Chapter 6's figures of the leave-one-region-out gap and of the ablations and mitigations: stamped, titled as
simulated, labelled, and drawing the intervals they were given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lslib.figures.cross_continent import mitigation_figure, transfer_figure


def _stamped(fig) -> bool:
    return any("SIMULATED DATA" in text.get_text() for text in fig.texts)


def test_transfer_figure_draws_both_protocols_and_the_gap():
    table = pd.DataFrame(
        {
            "in-region AUROC": [0.7, 0.65, 0.6], "in-region AUROC low": [0.66, 0.6, 0.55],
            "in-region AUROC high": [0.74, 0.7, 0.65], "transfer AUROC": [0.6, 0.64, 0.5],
            "transfer AUROC low": [0.55, 0.6, 0.45], "transfer AUROC high": [0.65, 0.68, 0.55],
            "gap": [0.1, 0.01, 0.1], "gap low": [0.05, -0.03, 0.06], "gap high": [0.15, 0.05, 0.14],
        },
        index=["america", "china", "india"],
    )  # fmt: skip
    fig = transfer_figure(table, "simulated")
    left, right = fig.axes[:2]
    assert "simulated" in left.get_title().lower() and _stamped(fig)
    assert left.get_ylabel().startswith("AUROC") and right.get_xlabel().startswith("gap")
    markers = [line for line in right.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(markers[0].get_xdata(), table["gap"])  # one marker per region, at its gap
    plt.close(fig)


def test_mitigation_figure_shows_each_change_of_the_gap_and_each_gain_with_its_p_value():
    ablations = pd.DataFrame(
        {"Δgap": [0.0, -0.05, 0.01], "Δgap low": [0.0, -0.08, -0.02], "Δgap high": [0.0, -0.02, 0.04]},
        index=["all inputs", "no location", "no SAR"],
    )
    mitigations = pd.DataFrame(
        {"gain": [0.02, -0.01], "gain low": [-0.01, -0.04], "gain high": [0.05, 0.02], "p (Holm)": [0.4, 1.0]},
        index=["DANN", "metadata dropout"],
    )
    fig = mitigation_figure(ablations, mitigations, "India", "simulated")
    left, right = fig.axes[:2]
    assert [t.get_text() for t in left.get_yticklabels()] == ["no location", "no SAR"]  # all inputs is the zero
    assert [t.get_text() for t in right.get_yticklabels()] == [
        "DANN\n(Holm p = 0.40)",
        "metadata dropout\n(Holm p = 1.00)",
    ]
    assert "India" in left.get_title() and "simulated" in left.get_title().lower() and _stamped(fig)
    plt.close(fig)
