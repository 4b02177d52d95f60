"""Attributes arrive in more shapes than a mapping: JSON text in a Parquet column (as in a CSV cell), an Arrow/Spark
map column, a list of "Key: Value" tags. Every reader and the Python API read them alike; a bool id is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tagllm.io import read_products
from tagllm.models import Product, RecordError


@pytest.mark.parametrize(
    "given",
    [
        {"Colour": "Red", "Size": "M"},
        '{"Colour": "Red", "Size": "M"}',
        [("Colour", "Red"), ("Size", "M")],
        [["Colour", "Red"], ["Size", "M"]],
        ["Colour: Red", "Size: M"],
    ],
)
def test_every_shape_of_attributes_gives_the_same_mapping(given):
    assert Product(id="p", title="shirt", attributes=given).attributes == {"Colour": "Red", "Size": "M"}


def test_a_key_given_twice_keeps_both_values():
    product = Product(id="p", title="shirt", attributes=["Colour: Red", "Colour: Blue"])
    assert product.attributes == {"Colour": "Red, Blue"}


def test_a_nested_value_reads_as_a_seller_writes_it_not_as_python_repr():
    given = {"Dimensions": {"Width": "10 cm", "Height": None, "Depth": [4, "cm"]}, "Size": ["M", None, "L"]}
    product = Product(id="p", title="shelf", attributes=given)
    assert product.attributes == {"Dimensions": "Width: 10 cm, Depth: 4, cm", "Size": "M, L"}
    assert "{" not in product.text() and "None" not in product.text()


@pytest.mark.parametrize("given", ["Colour: Red", "{not json", [{"key": "Colour", "value": "Red"}], ["no colon"]])
def test_a_shape_that_is_no_mapping_is_an_error_naming_the_field(given):
    with pytest.raises(ValueError, match="attributes"):
        Product(id="p", title="shirt", attributes=given)


def test_parquet_attributes_as_json_text_and_as_a_map_column(tmp_path: Path):
    path = tmp_path / "products.parquet"
    table = pa.table(
        {
            "id": ["a", "b"],
            "title": ["red shirt", "blue mug"],
            "attributes": ['{"Colour": "Red"}', json.dumps({"Colour": "Blue"})],
            "specs": pa.array([[("Material", "Cotton")], [("Material", "Ceramic")]], pa.map_(pa.string(), pa.string())),
        }
    )
    pq.write_table(table, path)
    products = list(read_products(path, columns={"attributes": "specs"}))
    assert all(isinstance(p, Product) for p in products), products
    assert [p.attributes for p in products] == [{"Material": "Cotton"}, {"Material": "Ceramic"}]  # type: ignore[union-attr]
    products = list(read_products(path))
    assert [p.attributes for p in products] == [{"Colour": "Red"}, {"Colour": "Blue"}]  # type: ignore[union-attr]


def test_a_bool_id_is_an_error_record_named_by_its_line(tmp_path: Path):
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps({"id": True, "title": "shirt"}) + "\n" + json.dumps({"id": 7, "title": "mug"}) + "\n")
    bad, good = list(read_products(path))
    assert isinstance(bad, RecordError) and bad.field == "id" and bad.record_id == "line-1"
    assert isinstance(good, Product) and good.id == "7"
