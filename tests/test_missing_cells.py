"""One "no value": an example's tag, a gold value, an id and a product field agree on what a missing cell is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tagllm.evaluation.gold_values import gold_values
from tagllm.io.products import is_missing_id
from tagllm.models import Product, RecordError
from tagllm.retrieval.index import LabelResolver, labels_from_record

# each as a table read into Python gives a missing cell: a None (JSON null), a float NaN (a pandas record), NumPy's
# float32 NaN (a float32 column), a Decimal NaN (a database's NUMERIC), pandas' NA (nullable and Arrow columns) and NaT
MISSING = [None, float("nan"), np.float32("nan"), Decimal("NaN"), pd.NA, pd.NaT]


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_a_missing_tag_in_an_examples_labels_is_no_tag(demo_taxonomy, missing: Any) -> None:  # type: ignore[no-untyped-def]
    """pd.NA in a pandas row's labels was the tag '<NA>', "not a value of the taxonomy", and the example was lost."""
    resolver = LabelResolver(demo_taxonomy)
    data = {"labels": {"category": [missing, "apparel-dresses"], "color": missing}}
    assert labels_from_record(data, "labels", resolver, "row 1") == {"category": ["apparel-dresses"]}
    assert labels_from_record({"gold": [missing, "apparel-dresses"]}, "gold", resolver, "row 2") == {
        "category": ["apparel-dresses"]
    }


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_a_label_field_that_is_a_missing_cell_says_the_example_has_no_tags(demo_taxonomy, missing: Any) -> None:  # type: ignore[no-untyped-def]
    """pd.NA as the whole label field raised "boolean value of NA is ambiguous" out of the reader."""
    found = labels_from_record({"gold_category": missing}, "gold_category", LabelResolver(demo_taxonomy), "row 3")
    assert isinstance(found, RecordError) and found.field == "gold_category"
    assert found.message == (
        "row 3: the 'gold_category' cell is empty; a labelled example needs tags, so this row is left out of the index"
    )


@pytest.mark.parametrize("missing", [*MISSING, "", "  "], ids=repr)
def test_a_missing_gold_value_is_no_gold_value(missing: Any) -> None:
    """A gold value of pd.NA was scored as the value '<NA>', one the taxonomy lacks (read from a file, a missing
    cell is None or NaN; a caller's own rows give the rest)."""
    assert gold_values([missing, "Dresses"], "category") == {"category": ["Dresses"]}
    assert gold_values({"category": missing, "color": ["Red", missing]}, "category") == {"color": ["Red"]}
    assert gold_values(missing, "category") == {}


@pytest.mark.parametrize("missing", [*MISSING, "", "  "], ids=repr)
def test_an_id_and_a_product_field_read_a_missing_cell_alike(missing: Any) -> None:
    assert is_missing_id(missing)
    product = Product(id="p1", title="Red Maxi Dress", description=missing, brand=missing)
    assert product.description in (None, "", "  ") and product.brand in (None, "", "  ")
    if not isinstance(missing, str):
        assert product.description is None and product.brand is None


@pytest.mark.parametrize("value", [0, 0.0, "0", "n/a", False], ids=repr)
def test_a_value_that_is_falsy_is_still_a_value(demo_taxonomy, value: Any) -> None:  # type: ignore[no-untyped-def]
    """Zero and the text "n/a" are values, not missing cells: a tag 0 is looked up (and reported unknown)."""
    assert not is_missing_id(value) or value is False
    assert gold_values([value], "category") == {"category": [value]}
