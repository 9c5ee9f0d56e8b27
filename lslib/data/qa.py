"""Landsat Collection 2 QA_PIXEL bits: build them, read them, and measure cloudiness from them.

Single bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow, 6 clear, 7 water.
Bits 8-9, 10-11, 12-13 and 14-15 hold the two-bit confidence (1 low, 2 medium, 3 high) of cloud,
cloud shadow, snow/ice and cirrus.

Examples
--------
>>> int(encode_qa(cloud=False, dilated=False, cirrus=False, shadow=False, water=False))
21824
>>> int(encode_qa(cloud=True, dilated=False, cirrus=False, shadow=False, water=False))
22280
>>> bool(invalid_mask(np.uint16(22280))), bool(invalid_mask(np.uint16(21824)))
(True, False)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "encode_qa",
    "invalid_mask",
    "cloud_fraction",
    "flagged",
    "qa_error_rates",
    "MASKED_BITS",
    "CLOUD_FLAG_BITS",
    "SHADOW_FLAG_BITS",
    "CFMASK_OMISSION_RANGE",
    "CFMASK_COMMISSION_RANGE",
    "CFMASK_SHADOW_OMISSION_RANGE",
]

#: Bits that make a pixel unusable: fill, dilated cloud, cirrus, cloud, cloud shadow, snow.
MASKED_BITS = (0, 1, 2, 3, 4, 5)
_LOW, _HIGH = 1, 3
#: Bits that call a pixel cloud: dilated cloud, cirrus and cloud (CFMask's cloud mask includes its dilation).
CLOUD_FLAG_BITS = (1, 2, 3)
#: The cloud-shadow bit.
SHADOW_FLAG_BITS = (4,)
# Accuracy of the CFMask masks of Landsat 8 against manual masks. Foga et al. (2017, Remote Sensing of Environment
# 194, 379-390) validated CFMask on the 96 scenes of the L8 Biome dataset and found it the most accurate of the
# algorithms tested; their per-algorithm omission and commission figures could not be retrieved for this module, so
# the ranges below are bracketed by other published validations of the same family of masks:
# * Hughes and Kennedy (2019, Remote Sensing 11(21), 2591): on 80 hand-labelled Landsat 8 scenes (SPARCS) their CNN
#   omits 3.5 % of cloud and 4.8 % of cloud-shadow pixels, "seven to eight times fewer missed pixels than the masks
#   distributed with the imagery" (CFMask-based): those masks omit about 25-28 % of cloud and 34-38 % of shadow.
# * Qiu, Zhu and He (2019, Remote Sensing of Environment 231, 111205): Fmask 3.3, the algorithm CFMask implements,
#   classifies 93.3 % of Landsat 8 reference pixels correctly, so its cloud errors are of order 10 %, not 30 %.
#: Acceptable cloud omission error of the QA (share of true cloud pixels not flagged).
CFMASK_OMISSION_RANGE = (0.05, 0.30)
#: Acceptable cloud commission error of the QA (share of flagged cloud pixels that are not cloud).
CFMASK_COMMISSION_RANGE = (0.02, 0.20)
#: Acceptable cloud-shadow omission error: shadow masks are less reliable than cloud masks (34-38 % above).
CFMASK_SHADOW_OMISSION_RANGE = (0.20, 0.50)


def encode_qa(cloud, dilated, cirrus, shadow, water, fill=False) -> np.ndarray:
    """QA_PIXEL values (uint16) from boolean masks of the same shape (or scalars)."""
    cloud, dilated, cirrus, shadow, water, fill = (
        np.asarray(a, dtype=bool) for a in (cloud, dilated, cirrus, shadow, water, fill)
    )
    clear = ~(cloud | dilated | cirrus | shadow | fill)
    value = (fill.astype(np.uint32) << 0) | (dilated.astype(np.uint32) << 1) | (cirrus.astype(np.uint32) << 2)
    value |= (cloud.astype(np.uint32) << 3) | (shadow.astype(np.uint32) << 4)
    value |= (clear.astype(np.uint32) << 6) | ((water & ~fill).astype(np.uint32) << 7)
    value |= np.where(cloud, _HIGH, _LOW).astype(np.uint32) << 8
    value |= np.where(shadow, _HIGH, _LOW).astype(np.uint32) << 10
    value |= np.uint32(_LOW) << 12
    value |= np.where(cirrus, _HIGH, _LOW).astype(np.uint32) << 14
    value = np.where(fill, 1, value)  # fill pixels carry only the fill bit
    return value.astype(np.uint16)


def invalid_mask(qa) -> np.ndarray:
    """True where any of :data:`MASKED_BITS` is set (the pixel must not be used)."""
    bits = 0
    for bit in MASKED_BITS:
        bits |= 1 << bit
    return (np.asarray(qa).astype(np.uint32) & bits) != 0


def cloud_fraction(qa, axes=(-2, -1)) -> np.ndarray:
    """Fraction of non-fill pixels flagged cloud, dilated cloud, cirrus or cloud shadow.

    Examples
    --------
    >>> qa = np.array([[21824, 22280], [21824, 21824]], dtype=np.uint16)
    >>> float(cloud_fraction(qa))
    0.25
    """
    values = np.asarray(qa).astype(np.uint32)
    cloudy = (values & ((1 << 1) | (1 << 2) | (1 << 3) | (1 << 4))) != 0
    usable = (values & 1) == 0
    return cloudy.sum(axis=axes) / np.maximum(usable.sum(axis=axes), 1)


def flagged(qa, bits=CLOUD_FLAG_BITS) -> np.ndarray:
    """True where any of ``bits`` is set (by default the bits that call a pixel cloud).

    Examples
    --------
    >>> flagged(np.array([21824, 22280, 21826], dtype=np.uint16)).tolist()
    [False, True, True]
    """
    mask = 0
    for bit in bits:
        mask |= 1 << bit
    return (np.asarray(qa).astype(np.uint32) & mask) != 0


def qa_error_rates(qa: np.ndarray, cloud_truth: np.ndarray, bits=CLOUD_FLAG_BITS) -> dict[str, float]:
    """Omission and commission error of a QA mask against the true cloud, pooled over all pixels given.

    As in the validation of Landsat cloud masks against manual masks (Foga et al. 2017), from the
    confusion matrix of the flagged class: **omission** is the share of truly cloudy pixels the QA leaves
    unflagged, FN / (TP + FN) (one minus the producer's accuracy); **commission** is the share of
    flagged pixels that are not cloudy, FP / (TP + FP) (one minus the user's accuracy). Fill pixels are
    left out. Pass ``bits=SHADOW_FLAG_BITS`` and the true shadow to score the shadow mask.

    Parameters
    ----------
    qa : numpy.ndarray
        QA_PIXEL values (uint16), any shape.
    cloud_truth : numpy.ndarray
        Bool, same shape: where cloud (thick or thin) really was.
    bits : sequence of int
        QA bits that flag the class (default :data:`CLOUD_FLAG_BITS`).

    Returns
    -------
    dict
        ``{"omission": float, "commission": float}``, each NaN when its denominator is empty.

    Examples
    --------
    >>> qa = np.array([22280, 22280, 21824, 21824], dtype=np.uint16)
    >>> qa_error_rates(qa, np.array([True, False, True, False]))
    {'omission': 0.5, 'commission': 0.5}
    """
    values = np.asarray(qa)
    truth = np.asarray(cloud_truth, bool)
    usable = (values.astype(np.uint32) & 1) == 0
    flag = flagged(values, bits) & usable
    truth = truth & usable
    hits = float((flag & truth).sum())
    n_truth, n_flag = float(truth.sum()), float(flag.sum())
    return {
        "omission": 1.0 - hits / n_truth if n_truth else float("nan"),
        "commission": 1.0 - hits / n_flag if n_flag else float("nan"),
    }
