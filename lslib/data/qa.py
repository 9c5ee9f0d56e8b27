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

__all__ = ["encode_qa", "invalid_mask", "cloud_fraction", "MASKED_BITS"]

#: Bits that make a pixel unusable: fill, dilated cloud, cirrus, cloud, cloud shadow, snow.
MASKED_BITS = (0, 1, 2, 3, 4, 5)
_LOW, _HIGH = 1, 3


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
