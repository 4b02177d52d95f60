"""What a table's missing cell is once read into Python: None, a float NaN, pandas' NA or NaT."""

from __future__ import annotations

import math
import sys
from typing import Any


def is_pandas_missing(value: Any) -> bool:
    """Whether a value is pandas' ``NA`` (nullable and Arrow columns, pandas 3's strings) or ``NaT`` (dates), as a row
    read with ``itertuples`` or ``iterrows`` holds a missing cell; pandas is not imported for it: such a value comes
    from it."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is getattr(pandas, "NA", None) or value is getattr(pandas, "NaT", None))


def is_missing_cell(value: Any) -> bool:
    """Whether a value is a missing cell: None, a float NaN (``df.to_dict("records")``, ``.values.tolist()``), or
    pandas' NA or NaT."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or is_pandas_missing(value)
