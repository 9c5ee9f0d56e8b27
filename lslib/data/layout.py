"""The one writer of the study's layout: every source assembles its stack here.

:func:`assemble` turns the arrays of a stack (each variable's dims, values and attributes, the
coordinates and the dataset's attributes) into an :class:`xarray.Dataset` and checks it with
:func:`lslib.data.schema.validate`, so that no source can hand on a stack the schema rejects. The
simulator (:func:`lslib.data.sim.simulate`, through ``lslib.data.sim._stack``) and the STAC loader
(:func:`lslib.data.stac.load`) both write through it; :func:`layout_attrs` gives the attributes
every stack carries (source, provenance, schema version, title), also used by
:func:`lslib.data.stac.stack_sites` when it joins validated stacks.

What a source puts in the layout (which variables, their units, the site grid) is described in
:mod:`lslib.data.schema`; this module does not reorder, convert or add anything, so a source's
arrays reach the stack exactly as it made them.

Examples
--------
>>> attrs = layout_attrs("simulated:example", "{}", title="A stack too small to pass")
>>> list(attrs)
['source', 'provenance', 'schema_version', 'title']
>>> assemble({"dem": (("site", "y", "x"), np.zeros((1, 2, 2), np.float32), {"units": "m"})}, {}, attrs)
Traceback (most recent call last):
...
lslib.data.schema.SchemaError: Dataset does not follow the lslib layout: missing variables ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from lslib.data.schema import SCHEMA_VERSION, validate

__all__ = ["assemble", "layout_attrs"]


def layout_attrs(source: str, provenance: str, title: str | None = None) -> dict[str, str]:
    """The attributes every stack carries, in the order stacks store them.

    Parameters
    ----------
    source : str
        ``"simulated:<generator>"``, ``"stac:<collections>"`` or ``"registry:<key>"``.
    provenance : str
        JSON: the parameters or the query that made the stack.
    title : str, optional
        A human-readable title.

    Returns
    -------
    dict
        ``source``, ``provenance``, ``schema_version`` (:data:`lslib.data.schema.SCHEMA_VERSION`) and,
        if given, ``title``.

    Examples
    --------
    >>> layout_attrs("stac:landsat-c2-l2", '{"items": []}')
    {'source': 'stac:landsat-c2-l2', 'provenance': '{"items": []}', 'schema_version': '1'}
    """
    attrs = {"source": source, "provenance": provenance, "schema_version": SCHEMA_VERSION}
    if title is not None:
        attrs["title"] = title
    return attrs


def assemble(
    variables: Mapping[str, Any], coords: Mapping[str, Any] | None = None, attrs: Mapping[str, Any] | None = None
) -> xr.Dataset:
    """Assemble a stack in the study's layout from its arrays, and validate it.

    Parameters
    ----------
    variables : mapping of str to tuple or xarray.DataArray
        The data variables, in the order the stack keeps them: ``(dims, values)`` or
        ``(dims, values, attrs)`` tuples (``values`` a numpy or dask array, kept as it is, lazy or
        not), or DataArrays whose dimension coordinates (e.g. ``band``, ``pol``, ``site``) join the
        stack's coordinates ahead of them.
    coords : mapping of str, optional
        Coordinates attached after the variables, e.g. ``site``, ``band``, ``pol``, ``y``, ``x``
        (m from the site centre) and ``day``; values or ``(dims, values, attrs)`` tuples.
    attrs : mapping of str, optional
        The stack's attributes; :func:`layout_attrs` gives the required ones.

    Returns
    -------
    xarray.Dataset
        The stack, validated.

    Raises
    ------
    lslib.data.schema.SchemaError
        The arrays do not make a valid stack; the message lists every problem.

    Examples
    --------
    >>> ds = assemble({"dem": (("site", "y", "x"), np.zeros((1, 2, 2), np.float32), {"units": "m"})})
    Traceback (most recent call last):
    ...
    lslib.data.schema.SchemaError: Dataset does not follow the lslib layout: missing variables ...
    """
    stack = xr.Dataset(dict(variables), attrs=dict(attrs or {})).assign_coords(dict(coords or {}))
    return validate(stack)
