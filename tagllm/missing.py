"""What "no value" is in a record: a table's missing cell once read into Python (None, a NaN, pandas' NA or NaT), and
a blank cell, which holds no more than one; an example's tag, a gold value, an id and a product field all ask here."""

from __future__ import annotations

import math
import numbers
import sys
from decimal import Decimal
from typing import Any


def is_nan_number(value: Any) -> bool:
    """Whether a number is NaN: a float's (pandas' missing cell), NumPy's (a float32 column's) or a Decimal's (a
    database's NUMERIC)."""
    if isinstance(value, Decimal):
        return value.is_nan()
    return isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and math.isnan(value)


def is_pandas_missing(value: Any) -> bool:
    """Whether a value is pandas' ``NA`` (nullable and Arrow columns, pandas 3's strings) or ``NaT`` (dates), as a row
    read with ``itertuples`` or ``iterrows`` holds a missing cell; pandas is not imported for it: such a value comes
    from it."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is getattr(pandas, "NA", None) or value is getattr(pandas, "NaT", None))


def is_missing_cell(value: Any) -> bool:
    """Whether a value is a missing cell: None, a NaN (``df.to_dict("records")``, ``.values.tolist()``), or pandas'
    NA or NaT. Read as text, each was a value of its own: "None", "nan", "<NA>", "NaT"."""
    return value is None or is_nan_number(value) or is_pandas_missing(value)


def is_blank_cell(value: Any) -> bool:
    """Whether a cell holds no value: a missing one, or text of white space alone (a CSV's empty cell, a cell of
    spaces). A falsy value is still one: 0, False and "n/a" are what their cell says."""
    if isinstance(value, str):
        return not value.strip()
    return is_missing_cell(value)


def is_empty_field(value: Any) -> bool:
    """Whether a record's field gives nothing: a blank cell, or an empty list or mapping (``[]``, ``{}``)."""
    return is_blank_cell(value) or (isinstance(value, list | tuple | dict) and not value)
